#!/usr/bin/env python3
"""Opens the page of `rct serve --http` in a real browser (Debian's chromium, driven by
Playwright) and reports what a person would see, as one JSON object.

  browser_check.py URL [--screenshot FILE] [--follow-key KEY --follow-text TEXT] [--chromium PATH]
                       [--writes --rct PATH --inverter HOST:PORT]

It waits for the first values, then reads the power flow, the strategy, the settings'
controls (are they disabled, and why) and the chart; with --follow-key it waits up to 10 s
for the element with that id to show TEXT (a change made on the inverter meanwhile) and
reports how long that took. It records every console message and page error, every request
and whether it stayed on the page's own host, and posts a forged setting change from the
page's origin and from another one. Needs pip's playwright; no browser download (Debian's
chromium is used).

With --writes (against `rct serve --allow-writes`) it uses the controls as a person would,
found by their accessible names, and after each step reads the inverter directly with
`rct --host INVERTER get`: a setting changed, an invalid one refused, a hold started and
stopped, a charge that ends by itself; then it opens the live frame trace and filters it.
"""
import subprocess
import argparse
import json
import time
from urllib.parse import urlparse

from playwright.sync_api import expect, sync_playwright


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--screenshot")
    parser.add_argument("--follow-key")
    parser.add_argument("--follow-text")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--download", help="save the page's pcap download here")
    parser.add_argument("--writes", action="store_true", help="change settings and run actions from the page")
    parser.add_argument("--rct", help="the rct binary, to read the inverter directly")
    parser.add_argument("--inverter", help="the inverter (simulator) to read directly, HOST:PORT")
    arguments = parser.parse_args()
    origin_host = urlparse(arguments.url).netloc
    report = {"console": [], "errors": [], "requests": [], "foreign_requests": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=arguments.chromium, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.on("console", lambda message: report["console"].append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: report["errors"].append(str(error)))

        def note(request):
            report["requests"].append(request.url)
            if urlparse(request.url).netloc != origin_host:
                report["foreign_requests"].append(request.url)

        page.on("request", note)
        opened = time.monotonic()
        page.goto(arguments.url)
        # Locator waits: the page's Content-Security-Policy forbids the eval of string predicates.
        expect(page.locator("#battery-soc")).to_contain_text("%", timeout=10000)
        report["first_values_after_s"] = round(time.monotonic() - opened, 3)
        read = lambda selector: page.locator(selector).inner_text()
        report["shown"] = {key: read(f"#{key}") for key in
                           ["serial", "battery-soc", "battery-power", "grid-power", "house-power", "pv-power", "strategy", "link"]}
        controls = page.get_by_role("textbox")
        report["controls"] = controls.count()
        report["controls_disabled"] = all(controls.nth(i).is_disabled() for i in range(controls.count()))
        report["settings_note"] = read("#settings-note")
        setting_inputs = page.locator("#settings input")
        report["setting_labels"] = [setting_inputs.nth(i).get_attribute("aria-label") for i in range(setting_inputs.count())]
        report["chart_drawn"] = page.locator("#chart canvas").count() > 0
        buttons = page.locator("#settings button, #hold-form button, #charge-form button, #reserves button, #action-stop")
        report["buttons"] = buttons.count()
        report["buttons_disabled"] = all(buttons.nth(i).is_disabled() for i in range(buttons.count()))
        report["today"] = {key: read(f"#{key}") for key in ["today-pv", "today-feed", "today-load", "today-house"]}
        if arguments.writes:
            report["writes"] = use_controls(page, arguments)
        if arguments.follow_key:
            started = time.monotonic()
            expect(page.locator(f"#{arguments.follow_key}")).to_contain_text(arguments.follow_text, timeout=10000)
            report["followed_after_s"] = round(time.monotonic() - started, 3)
        # What the page itself said, before the refusals below add their own lines.
        report["console_before_posts"] = list(report["console"])
        health = page.locator("#health")
        report["health"] = dict(zip(health.locator("dt").all_inner_texts(), health.locator("dd").all_inner_texts()))
        report["clients"] = page.locator("#clients tbody tr").all_inner_texts()
        # A setting changed from the page's own origin, and a forged one from another site.
        same = page.evaluate("""async () => {
            const response = await fetch('/api/settings/soc_min', {method: 'POST', body: 'value=0.30'});
            return {status: response.status, text: await response.text()};
        }""")
        report["post_same_origin"] = same
        forged = page.request.post(arguments.url.rstrip("/") + "/api/settings/soc_min",
                                   headers={"Origin": "http://attacker.example"}, data="value=0.30")
        report["post_forged"] = {"status": forged.status, "text": forged.text()}
        headers = page.request.get(arguments.url).headers
        report["csp"] = headers.get("content-security-policy")
        report["cors"] = headers.get("access-control-allow-origin")
        if arguments.download:
            with page.expect_download(timeout=10000) as download:
                page.get_by_role("link", name="Download the last 10 minutes of the inverter link (pcap)").click()
            download.value.save_as(arguments.download)
            report["download_name"] = download.value.suggested_filename
        if arguments.screenshot:
            page.wait_for_timeout(1500)
            page.screenshot(path=arguments.screenshot, full_page=True)
        browser.close()
    print(json.dumps(report))


def direct(arguments, *names):
    """What the inverter holds now, read directly (not through the page or the daemon)."""
    done = subprocess.run([arguments.rct, "--host", arguments.inverter, "get", *names],
                          capture_output=True, text=True, timeout=30)
    return done.stdout.strip()


def use_controls(page, arguments):
    """Changes a setting, tries an invalid one, holds and stops, charges until the time
    limit; reads the inverter directly after each; then opens and filters the trace."""
    steps = {}
    value = page.get_by_role("textbox", name="New value for Minimum state of charge", exact=True)
    setting = page.get_by_role("button", name="Set Minimum state of charge", exact=True)
    outcome = page.locator("output[aria-label='Outcome for Minimum state of charge']")
    value.fill("30")
    setting.click()
    expect(outcome).to_contain_text("written", timeout=15000)
    steps["set_shown"] = outcome.inner_text()
    steps["set_direct"] = direct(arguments, "power_mng.soc_min")
    value.fill("300")
    setting.click()
    expect(outcome).to_contain_text("refused", timeout=15000)
    steps["invalid_shown"] = outcome.inner_text()
    steps["invalid_direct"] = direct(arguments, "power_mng.soc_min")

    status = page.locator("#action-status")
    running = page.locator("#running")
    page.get_by_role("textbox", name="Hold for").fill("10m")
    page.get_by_role("button", name="Hold the battery").click()
    expect(running).to_contain_text("hold", timeout=15000)
    # The first step (strategy External, 0 W) is on the inverter once its result is shown.
    expect(page.locator("#outcomes")).to_contain_text("hold: step, power_mng.battery_power_extern", timeout=15000)
    steps["hold_direct"] = direct(arguments, "power_mng.soc_strategy", "power_mng.battery_power_extern")
    steps["hold_controls_disabled"] = page.get_by_role("button", name="Charge from the grid", exact=True).is_disabled()
    page.get_by_role("button", name="Stop the action and hand back").click()
    expect(running).to_contain_text("nothing", timeout=20000)
    expect(page.locator("#outcomes")).to_contain_text("hold: ended", timeout=5000)
    steps["hold_stopped_direct"] = direct(arguments, "power_mng.soc_strategy", "power_mng.battery_power_extern")

    page.get_by_role("spinbutton", name="Power (W)").fill("2000")
    page.get_by_role("spinbutton", name="Up to state of charge (%)").fill("90")
    page.get_by_role("textbox", name="Time limit").fill("6s")
    started = time.monotonic()
    page.get_by_role("button", name="Charge from the grid", exact=True).click()
    expect(running).to_contain_text("charge", timeout=15000)
    expect(page.locator("#outcomes")).to_contain_text("charge: step, power_mng.battery_power_extern", timeout=15000)
    steps["charge_direct"] = direct(arguments, "power_mng.soc_strategy", "power_mng.battery_power_extern")
    expect(page.locator("#outcomes")).to_contain_text("charge: ended", timeout=30000)
    expect(running).to_contain_text("nothing", timeout=5000)
    steps["charge_ended_after_s"] = round(time.monotonic() - started, 1)
    steps["charge_ended_direct"] = direct(arguments, "power_mng.soc_strategy", "power_mng.battery_power_extern")
    steps["outcomes"] = page.locator("#outcomes li").all_inner_texts()

    page.get_by_text("Live frame trace").click()
    page.get_by_role("searchbox", name="Filter by object").fill("battery.soc")
    expect(page.locator("#trace")).to_contain_text("battery.soc", timeout=15000)
    page.wait_for_timeout(2500)
    text = page.locator("#trace").inner_text()
    blocks = [line for line in text.split("\n") if line.strip()]
    steps["trace_lines"] = len(blocks)
    steps["trace_sample"] = blocks[:4]
    # Every entry shown is about the object filtered for: its decoded line names it.
    steps["trace_decoded_lines_filtered"] = all("battery.soc" in line for line in blocks if "  crc ok" in line)
    return steps


if __name__ == "__main__":
    main()
