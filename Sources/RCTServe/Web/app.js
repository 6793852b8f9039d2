"use strict";
// The page of `rct serve --http`: live values over Server-Sent Events, the history chart,
// settings and battery actions (carried out by the daemon's command desk, the path of Home
// Assistant's commands), the health of the link and a live frame trace. Everything it loads
// comes from the daemon itself (Documentation/Web.md).
(function () {
  const byId = (id) => document.getElementById(id);
  const labels = ["Time", "PV A (W)", "PV B (W)", "Battery (W)", "Grid (W)", "House (W)", "State of charge (%)"];
  let chart = null;
  let rows = [];
  let allowed = false;
  let reason = "";
  let running = null;
  let lastHealth = null;

  const watts = (value) => (value == null ? "–" : `${Math.round(Math.abs(value))} W`);
  const number = (values, key) => {
    const entry = values.find((v) => v.key === key);
    return entry ? entry.number : null;
  };
  const text = (values, key) => {
    const entry = values.find((v) => v.key === key);
    return entry ? entry.text : "–";
  };

  function showLink(up, words) {
    const link = byId("link");
    link.textContent = words;
    link.className = up ? "up" : "down";
  }

  function showFlow(values) {
    const pvA = number(values, "pv_a_power");
    const pvB = number(values, "pv_b_power");
    const pv = pvA == null && pvB == null ? null : (pvA || 0) + (pvB || 0);
    byId("pv-power").textContent = watts(pv);
    byId("pv-strings").textContent = pv == null ? "" : `A ${watts(pvA)} · B ${watts(pvB)}`;
    byId("battery-soc").textContent = text(values, "battery_soc");
    const battery = number(values, "battery_power");
    // Positive battery power discharges, negative charges (the sign of battery_power_extern).
    byId("battery-power").textContent = battery == null ? "–"
      : battery > 0 ? `discharging ${watts(battery)}` : battery < 0 ? `charging ${watts(battery)}` : "idle";
    const grid = number(values, "grid_power");
    byId("grid-power").textContent = grid == null ? "–"
      : grid > 0 ? `from the grid ${watts(grid)}` : grid < 0 ? `to the grid ${watts(grid)}` : "0 W";
    byId("house-power").textContent = watts(number(values, "house_power"));
    byId("strategy").textContent = text(values, "soc_strategy");
  }

  // A command's result in words: what was asked, what became of it, and why.
  function describe(result) {
    let words = `${result.command}: ${result.outcome.replace("_", " ")}`;
    if (result.parameter && result.value) words += `, ${result.parameter} = ${result.value}`;
    else if (result.parameter) words += `, ${result.parameter}`;
    if (result.reason) words += ` (${result.reason})`;
    return words;
  }

  function showOutcome(result) {
    const item = document.createElement("li");
    item.className = result.outcome;
    item.textContent = describe(result);
    const list = byId("outcomes");
    list.prepend(item);
    // An action's latest news, whoever started it: started, its steps, its end.
    if (!result.command.startsWith("set ")) byId("action-status").textContent = describe(result);
    while (list.children.length > 30) list.lastElementChild.remove();
  }

  // Sends a command; the answer is its result, which also arrives on the event stream.
  async function send(path, body, status) {
    status.textContent = "sending…";
    let result;
    try {
      const response = await fetch(path, { method: "POST", body, headers: { "Content-Type": "text/plain" } });
      const type = response.headers.get("Content-Type") || "";
      result = type.startsWith("application/json") ? await response.json()
        : { command: path, outcome: "refused", reason: (await response.text()).trim() };
    } catch (error) {
      result = { command: path, outcome: "failed", reason: `rct serve did not answer: ${error.message}` };
    }
    status.textContent = describe(result);
    return result;
  }

  function showSettings(snapshot) {
    allowed = snapshot.settings.allowed;
    reason = snapshot.settings.reason;
    byId("settings-note").textContent = reason;
    const body = byId("settings").tBodies[0];
    const settings = snapshot.values.filter((v) => v.accepts != null);
    if (body.rows.length !== settings.length) {
      body.replaceChildren(...settings.map((setting) => {
        const row = body.insertRow();
        row.dataset.key = setting.key;
        row.insertCell().textContent = setting.name;
        row.insertCell();
        row.insertCell().textContent = setting.accepts;
        const form = document.createElement("form");
        const input = document.createElement("input");
        input.type = "text";
        input.setAttribute("aria-label", `New value for ${setting.name}`);
        const button = document.createElement("button");
        button.type = "submit";
        button.textContent = "Set";
        button.setAttribute("aria-label", `Set ${setting.name}`);
        const status = document.createElement("output");
        status.setAttribute("aria-label", `Outcome for ${setting.name}`);
        form.append(input, button, status);
        form.addEventListener("submit", (event) => {
          event.preventDefault();
          if (input.value.trim() !== "") send(`/api/settings/${setting.key}`, input.value.trim(), status);
        });
        row.insertCell().append(form);
        return row;
      }));
    }
    for (const row of body.rows) {
      row.cells[1].textContent = text(snapshot.values, row.dataset.key);
      for (const control of row.cells[3].querySelectorAll("input, button")) {
        control.disabled = !allowed;
        control.title = allowed ? "" : reason;
      }
    }
  }

  function showActions(actions) {
    running = actions.running;
    byId("running").textContent = running || "nothing";
    const reserves = byId("reserves");
    if (reserves.children.length !== actions.reserves.length) {
      reserves.replaceChildren(...actions.reserves.map((reserve) => {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = reserve.name;
        button.dataset.key = reserve.key;
        button.addEventListener("click", () => send(`/api/actions/${reserve.key}`, "PRESS", byId("action-status")));
        return button;
      }));
    }
    for (const control of document.querySelectorAll("#hold-form *, #charge-form *, #reserves button")) {
      if (!("disabled" in control)) continue;
      control.disabled = !allowed || running != null;
      control.title = !allowed ? reason : running ? `${running} is running: stop it first` : "";
    }
    const stop = byId("action-stop");
    stop.disabled = !allowed || running == null;
    stop.title = !allowed ? reason : running ? "" : "no action is running";
  }

  function watchActionForms() {
    byId("hold-form").addEventListener("submit", (event) => {
      event.preventDefault();
      send("/api/actions/hold", JSON.stringify({ max_duration: byId("hold-limit").value.trim() }), byId("action-status"));
    });
    byId("charge-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const power = Number(byId("charge-power").value);
      const target = byId("charge-target").value.trim();
      const body = { power, max_duration: byId("charge-limit").value.trim() };
      if (target !== "") body.target_soc = `${target}%`;
      send("/api/actions/charge", JSON.stringify(body), byId("action-status"));
    });
    byId("action-stop").addEventListener("click", () => {
      if (running) send(`/api/actions/${running}`, "OFF", byId("action-status"));
    });
  }

  function showToday(values) {
    const kWh = (...keys) => {
      const numbers = keys.map((key) => number(values, key));
      if (numbers.some((n) => n == null)) return "–";
      return `${(numbers.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} kWh`;
    };
    byId("today-pv").textContent = kWh("energy_today_pv_a", "energy_today_pv_b");
    byId("today-feed").textContent = kWh("energy_today_grid_feed");
    byId("today-load").textContent = kWh("energy_today_grid_load");
    byId("today-house").textContent = kWh("energy_today_house");
  }

  function showHealth(health, time) {
    const list = byId("health");
    // Requests per second since the last snapshot.
    let rate = "–";
    if (lastHealth && time > lastHealth.time) {
      rate = ((health.exchanges - lastHealth.exchanges) / (time - lastHealth.time)).toFixed(1);
    }
    lastHealth = { time, exchanges: health.exchanges };
    const ms = (value) => (value == null ? "–" : `${value} ms`);
    const items = [
      ["Link to the inverter", health.link_up ? "up" : "down"],
      ["Requests per second", rate],
      ["Requests sent", health.exchanges],
      ["Answers", health.answers],
      ["Timeouts", health.timeouts],
      ["Answer time, median", ms(health.latency_p50_ms)],
      ["Answer time, 99th percentile", ms(health.latency_p99_ms)],
      ["Checksum errors", health.crc_errors],
      ["Resynchronisations", health.resyncs],
      ["Frames from someone else", health.foreign_frames],
      ["Gateway clients now", health.clients],
    ];
    list.replaceChildren(...items.flatMap(([term, detail]) => {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = String(detail);
      return [dt, dd];
    }));
    const body = byId("clients").tBodies[0];
    body.replaceChildren(...health.client_list.map((client) => {
      const row = document.createElement("tr");
      const name = client.daemon ? `${client.name} (rct serve itself)` : client.name;
      for (const cell of [name, `${Math.round(client.connected_s)} s`, client.requests, client.asks.join(", ")]) {
        row.insertCell().textContent = String(cell);
      }
      return row;
    }));
  }

  function show(snapshot) {
    if (snapshot.serial) byId("serial").textContent = snapshot.serial;
    showLink(snapshot.health.link_up, snapshot.health.link_up ? "inverter answers" : "no link to the inverter");
    showFlow(snapshot.values);
    showToday(snapshot.values);
    showSettings(snapshot);
    showActions(snapshot.actions);
    showHealth(snapshot.health, snapshot.time);
  }

  function drawChart() {
    if (rows.length === 0) return;
    if (chart) {
      chart.updateOptions({ file: rows });
      return;
    }
    // dygraphs' legend plugin writes inline styles even when its legend is off: it is left out.
    Dygraph.PLUGINS = Dygraph.PLUGINS.filter((plugin) => plugin !== Dygraph.Plugins.Legend);
    chart = new Dygraph(byId("chart"), rows, {
      labels,
      series: { "State of charge (%)": { axis: "y2" } },
      axes: { y2: { valueRange: [0, 100], independentTicks: true } },
      ylabel: "W",
      y2label: "%",
      // The legend below is built here, with colours set through the DOM: the page's
      // Content-Security-Policy forbids the inline styles of dygraphs' own.
      legend: "never",
      connectSeparatedPoints: true,
    });
    const legend = byId("legend");
    legend.replaceChildren(...labels.slice(1).map((label, index) => {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.backgroundColor = chart.getColors()[index];
      item.append(swatch, label);
      return item;
    }));
  }

  function addSamples(history) {
    for (const sample of history.samples) {
      rows.push([new Date(sample[0] * 1000), ...sample.slice(1)]);
    }
    const oldest = Date.now() - history.hours * 3600 * 1000;
    rows = rows.filter((row) => row[0].getTime() >= oldest);
    drawChart();
  }

  // The live frame trace: open while its panel is, filtered by what the user types.
  const trace = { source: null, entries: [], paused: false };

  // An entry is its raw bytes, then one line per frame decoded from them: with a filter,
  // the frames that match it, under their entry's bytes.
  function drawTrace() {
    const filter = byId("trace-filter").value.trim().toLowerCase();
    const shown = [];
    for (const entry of trace.entries) {
      const frames = entry.lines.slice(1).filter((line) => filter === "" || line.toLowerCase().includes(filter));
      if (filter === "" || frames.length > 0) shown.push(entry.lines[0], ...frames);
    }
    byId("trace").textContent = shown.slice(-400).join("\n");
  }

  function watchTrace() {
    const panel = byId("trace-panel");
    panel.addEventListener("toggle", () => {
      if (panel.open && !trace.source) {
        trace.source = new EventSource("/api/trace");
        trace.source.addEventListener("trace", (event) => {
          trace.entries.push(JSON.parse(event.data));
          if (trace.entries.length > 1000) trace.entries.splice(0, trace.entries.length - 1000);
          if (!trace.paused) drawTrace();
        });
      } else if (!panel.open && trace.source) {
        trace.source.close();
        trace.source = null;
      }
    });
    byId("trace-filter").addEventListener("input", drawTrace);
    const pause = byId("trace-pause");
    pause.addEventListener("click", () => {
      trace.paused = !trace.paused;
      pause.setAttribute("aria-pressed", String(trace.paused));
      pause.textContent = trace.paused ? "Go on" : "Pause";
      if (!trace.paused) drawTrace();
    });
  }

  async function start() {
    watchActionForms();
    watchTrace();
    // The values are shown as soon as they come; the day's history (larger) follows.
    const history = fetch("/api/history").then((r) => r.json());
    const snapshot = await fetch("/api/values").then((r) => r.json());
    show(snapshot);
    for (const result of snapshot.results || []) showOutcome(result);
    addSamples(await history);
    const events = new EventSource("/api/events");
    events.addEventListener("values", (event) => show(JSON.parse(event.data)));
    events.addEventListener("sample", (event) => addSamples(JSON.parse(event.data)));
    events.addEventListener("result", (event) => showOutcome(JSON.parse(event.data)));
    events.addEventListener("actions", (event) => showActions(JSON.parse(event.data)));
    events.onerror = () => showLink(false, "reconnecting to rct serve…");
  }

  start().catch((error) => showLink(false, `cannot reach rct serve: ${error.message}`));
})();
