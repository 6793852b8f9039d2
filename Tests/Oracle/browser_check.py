#!/usr/bin/env python3
"""Opens the page of `rct serve --http` in a real browser (Debian's chromium, driven by
Playwright) and reports what a person would see, as one JSON object.

  browser_check.py URL [--screenshot FILE] [--follow-key KEY --follow-text TEXT] [--chromium PATH]

It waits for the first values, then reads the power flow, the strategy, the settings'
controls (are they disabled, and why) and the chart; with --follow-key it waits up to 10 s
for the element with that id to show TEXT (a change made on the inverter meanwhile) and
reports how long that took. It records every console message and page error, every request
and whether it stayed on the page's own host, and posts a forged setting change from the
page's origin and from another one. Needs pip's playwright; no browser download (Debian's
chromium is used).
"""
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
        report["setting_labels"] = [controls.nth(i).get_attribute("aria-label") for i in range(controls.count())]
        report["chart_drawn"] = page.locator("#chart canvas").count() > 0
        if arguments.follow_key:
            started = time.monotonic()
            expect(page.locator(f"#{arguments.follow_key}")).to_contain_text(arguments.follow_text, timeout=10000)
            report["followed_after_s"] = round(time.monotonic() - started, 3)
        # What the page itself said, before the refusals below add their own lines.
        report["console_before_posts"] = list(report["console"])
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


if __name__ == "__main__":
    main()
