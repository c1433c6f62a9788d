"""Helpers for browser tests: wait for the app, move between pages, pick options."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect


def wait_for_app(tab, timeout: float = 60_000) -> None:
    """Wait until the app is connected and its script is not running (as Streamlit's own e2e tests do).

    Assertions after this use Playwright's `expect`, which retries, so no fixed sleeps are needed.
    """
    tab.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout)
    tab.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)


def go_to(tab, title: str, attempts: int = 3) -> None:
    """Click a page in the sidebar navigation and wait until that page has run.

    A click that lands while a polling fragment reruns (Train polls every second during training) can
    be dropped by Streamlit, as a person would see when a click does nothing; like that person, click
    again once the address shows the page did not change.
    """
    # The link, not the section header of the same name ("Explore" is both once there are sections).
    link = tab.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)
    wanted = urlsplit(link.get_attribute("href")).path
    for _ in range(attempts):
        link.click()
        wait_for_app(tab)
        try:
            tab.wait_for_url(lambda url: urlsplit(url).path == wanted, timeout=5_000)
        except PlaywrightTimeoutError:
            continue
        wait_for_app(tab)
        return
    raise AssertionError(f"the {title!r} page did not open after {attempts} clicks")


def choose_option(tab, widget, option: str, exact: bool = True) -> None:
    """Pick `option` in a selectbox or multiselect: type to filter, then click the match (with
    `exact=False`, the option whose label contains it, e.g. a column listed with why it is offered)."""
    box = widget.get_by_role("combobox")
    box.click()
    box.fill(option)
    tab.get_by_role("option", name=option, exact=exact).click()
    tab.keyboard.press("Escape")
    wait_for_app(tab)


def add_option(tab, widget, option: str) -> None:
    """Add an option to a multiselect with the keyboard: the list redraws while it is open, so a click
    on an option can miss it, while Enter picks the filtered match."""
    box = widget.get_by_role("combobox")
    box.click()
    box.fill(option)
    expect(tab.get_by_role("option", name=option, exact=True)).to_be_visible()
    tab.keyboard.press("Enter")
    tab.keyboard.press("Escape")
    wait_for_app(tab)
    expect(widget.get_by_text(option, exact=True)).to_be_visible()


def load_sample(tab, title: str) -> None:
    """Load a sample dataset from the Data page and wait until the sidebar shows it: only then has its
    script run ended, so navigating cannot overtake the load (a click's rerun may not have started when
    `wait_for_app` first looks)."""
    tab.get_by_role("tab", name="Sample datasets").click()
    choose_option(tab, tab.get_by_test_id("stSelectbox").filter(has_text="Sample dataset"), title)
    tab.get_by_role("button", name="Load sample").click()
    expect(tab.get_by_test_id("stSidebar").get_by_text(title)).to_be_visible()
    wait_for_app(tab)


def open_tab(tab, name: str, shows, attempts: int = 3) -> None:
    """Open the tab `name` in the main area and wait until `shows(panel)`, a locator in its panel, is
    visible.

    The app draws only the open tab, in the rerun its click starts; a click that lands while a
    fragment reruns can lose that rerun, leaving the tab open and empty. Like a person, open another
    tab and come back.
    """
    main = tab.get_by_test_id("stMain")
    wanted = main.get_by_role("tab", name=name, exact=True)
    for _ in range(attempts):
        wanted.click()
        wait_for_app(tab)
        try:
            expect(shows(main.get_by_role("tabpanel", name=name))).to_be_visible(timeout=10_000)
        except AssertionError:
            main.get_by_role("tab").filter(has_not_text=name).first.click()
            wait_for_app(tab)
            continue
        return
    raise AssertionError(f"the {name!r} tab showed nothing after {attempts} clicks")
