"""Take docs/playground.png: the seeded playground as the champion, in the shared channel with the
week's diary thread open (`python scripts/screenshot_playground.py`; needs Chromium, like the browser test)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.playground import running_playground
from slack_emulator.playground import browser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=Path("docs/playground.png"))
    args = parser.parse_args(argv)
    reason = browser.missing()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    from selenium.webdriver.common.by import By

    with running_playground() as (url, _playground):
        driver = browser.headless_chromium(width=1400, height=860)
        try:
            driver.get(f"{url}?as=U0CHAMP&c=C0SHARED")
            diary = "//div[@class='message'][contains(., 'Accountability diary')]//a[@class='replies']"
            driver.find_element(By.XPATH, diary).click()
            driver.save_screenshot(str(args.output))
        finally:
            driver.quit()
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
