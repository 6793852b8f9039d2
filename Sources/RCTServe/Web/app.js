"use strict";
// The page of `rct serve --http`: live values over Server-Sent Events, the history chart,
// settings with their write rules, and the health of the link. Everything it loads comes
// from the daemon itself (Documentation/Web.md).
(function () {
  const byId = (id) => document.getElementById(id);
  const labels = ["Time", "PV A (W)", "PV B (W)", "Battery (W)", "Grid (W)", "House (W)", "State of charge (%)"];
  let chart = null;
  let rows = [];

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

  function showSettings(snapshot) {
    byId("settings-note").textContent = snapshot.settings.reason;
    const body = byId("settings").tBodies[0];
    const settings = snapshot.values.filter((v) => v.accepts != null);
    if (body.rows.length !== settings.length) {
      body.replaceChildren(...settings.map((setting) => {
        const row = body.insertRow();
        row.dataset.key = setting.key;
        row.insertCell().textContent = setting.name;
        row.insertCell();
        row.insertCell().textContent = setting.accepts;
        const input = document.createElement("input");
        input.type = "text";
        input.disabled = !snapshot.settings.allowed;
        input.title = snapshot.settings.reason;
        input.setAttribute("aria-label", `New value for ${setting.name}`);
        row.insertCell().append(input);
        return row;
      }));
    }
    for (const row of body.rows) {
      row.cells[1].textContent = text(snapshot.values, row.dataset.key);
    }
  }

  function showHealth(health) {
    const list = byId("health");
    const items = [
      ["Link to the inverter", health.link_up ? "up" : "down"],
      ["Requests sent", health.exchanges],
      ["Answers", health.answers],
      ["Timeouts", health.timeouts],
      ["Checksum errors", health.crc_errors],
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
  }

  function show(snapshot) {
    if (snapshot.serial) byId("serial").textContent = snapshot.serial;
    showLink(snapshot.health.link_up, snapshot.health.link_up ? "inverter answers" : "no link to the inverter");
    showFlow(snapshot.values);
    showSettings(snapshot);
    showHealth(snapshot.health);
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

  async function start() {
    const [snapshot, history] = await Promise.all([
      fetch("/api/values").then((r) => r.json()),
      fetch("/api/history").then((r) => r.json()),
    ]);
    show(snapshot);
    addSamples(history);
    const events = new EventSource("/api/events");
    events.addEventListener("values", (event) => show(JSON.parse(event.data)));
    events.addEventListener("sample", (event) => addSamples(JSON.parse(event.data)));
    events.onerror = () => showLink(false, "reconnecting to rct serve…");
  }

  start().catch((error) => showLink(false, `cannot reach rct serve: ${error.message}`));
})();
