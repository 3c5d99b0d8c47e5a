"""The analyst workbench in a real browser: Debian's chromium driven by Selenium over a real ``stance serve``.

One summit, start to end, as an analyst would go: create it, upload the seed article, relabel by
keyboard, correct a speaker's name, mark a non-statement, add a missed statement by selecting text,
export, retrain (dry run), promote and roll back, a second analyst and adjudication, the summary chart. A screenshot of
each main view is saved under ``reports/browser/`` (``$STANCE_SCREENSHOTS``) for a person to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import httpx
import pytest

from conftest import REPO, run_stance
from service.process import stance_server

pytestmark = pytest.mark.slow

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is installed by `pip install -e .[dev]`")
if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
    pytest.skip("chromium and chromium-driver are missing: `apt-get install -y chromium chromium-driver` "
                "(scripts/setup.sh test does it)", allow_module_level=True)

from selenium.common.exceptions import (  # noqa: E402
    NoSuchElementException, StaleElementReferenceException, WebDriverException)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

NAME = "EU-China summit Beijing 2023"
SLUG = "eu-china-summit-beijing-2023"  # the seed article is outside its evaluation slice, the second one inside
SEED_ID = "eu-china-summit-2023"
SECOND = "brussels-follow-up"
SECOND_TEXT = """Brussels follow-up: EU ministers weigh China trade steps

BRUSSELS, Dec 12 - European Union trade ministers met on Tuesday to discuss the outcome of last week's summit.

"We are ready to deepen our cooperation with China on climate and green technology," EU trade commissioner \
Valdis Dombrovskis said after the meeting.

Chinese foreign ministry spokesperson Wang Wenbin said China firmly opposes the EU's protectionist investigation \
and urged Brussels to correct its mistakes.
"""
MISSED = "the bloc expects China to take more concrete measures to increase market access for foreign companies"
SHOTS = Path(os.environ.get("STANCE_SCREENSHOTS", REPO / "reports" / "browser"))


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("workspaces")


@pytest.fixture(scope="module")
def models(tiny_model_dir, tmp_path_factory) -> Path:
    dst = tmp_path_factory.mktemp("registry") / "models"
    shutil.copytree(tiny_model_dir, dst, symlinks=True)
    return dst


@pytest.fixture(scope="module")
def server(models, workspaces):
    with stance_server(models, "onnx", env={"STANCE_WORKSPACES": str(workspaces)}) as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800",
                "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


# Chromium's own word for an element read while its page is being replaced; it arrives as a plain
# WebDriverException, not StaleElementReferenceException (seen in CI with chrome 150).
NODE_LEFT_DOCUMENT = "does not belong to the document"


def wait(driver, condition, seconds: float = 20):
    """Until ``condition(driver)`` is truthy; a page reloading meanwhile (stale elements) just means not yet."""
    def settled(d):
        try:
            return condition(d)
        except WebDriverException as error:
            if isinstance(error, (StaleElementReferenceException, NoSuchElementException)) \
                    or NODE_LEFT_DOCUMENT in (error.msg or ""):
                return False
            raise
        except IndexError:
            return False
    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(settled)


def shot(driver, name: str) -> None:
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def message(driver) -> str:
    """The page's message line (errors and confirmations), read in one step so a reload cannot split it."""
    return driver.execute_script("const b = document.getElementById('message'); return b && !b.hidden ? b.innerText : ''")


def press(driver, *keys: str) -> None:
    body = driver.find_element(By.TAG_NAME, "body")
    for key in keys:
        body.send_keys(key)


def become(driver, analyst: str) -> None:
    """Type another name in the Analyst field (set whole, so the page reloads once)."""
    driver.execute_script("const f = document.getElementById('analyst'); f.value = arguments[0];"
                          "f.dispatchEvent(new Event('change'))", analyst)
    wait(driver, lambda d: d.execute_script("return document.readyState") == "complete"
         and d.find_element(By.ID, "analyst").get_attribute("value") == analyst)


def rows(driver) -> list:
    return driver.find_elements(By.CSS_SELECTOR, "#statements tbody tr[data-id]")


def speaker_field(driver, row: int):
    return rows(driver)[row].find_element(By.CSS_SELECTOR, "[data-field=speaker]")


def row_states(driver) -> list[str]:
    return driver.execute_script("return [...document.querySelectorAll('#statements tbody tr[data-id]')]"
                                 ".map(r => r.dataset.state)")


def selected(driver) -> int:
    return driver.execute_script("return [...document.querySelectorAll('#statements tbody tr[data-id]')]"
                                 ".findIndex(r => r.getAttribute('aria-selected') === 'true')")


def fetch_text(driver, url: str) -> str:
    """GET a link the way the page would (same origin, same cookies)."""
    return driver.execute_async_script("fetch(arguments[0]).then(r => r.text()).then(arguments[1])", url)


def api(server, path: str) -> dict:
    return httpx.get(server.base_url + path, timeout=30).json()


def test_1_create_a_workspace_and_upload_the_seed_article(server, browser, seed_article, tmp_path):
    browser.get(server.base_url + "/")
    wait(browser, lambda d: "No summit workspaces yet" in d.page_source)
    browser.find_element(By.ID, "analyst").send_keys("ana", Keys.ENTER)
    form = browser.find_element(By.ID, "new-summit")
    form.find_element(By.NAME, "name").send_keys(NAME)
    form.find_element(By.NAME, "parties").send_keys("EU, Beijing")
    browser.execute_script("document.querySelector('#new-summit [name=start]').value = '2023-12-07'")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, lambda d: d.current_url.endswith(f"/summits/{SLUG}"))
    assert "European Union, China" in browser.page_source      # aliases resolved to canonical parties

    second = tmp_path / f"{SECOND}.txt"
    second.write_text(SECOND_TEXT)
    broken = tmp_path / "wire.csv"
    broken.write_text("headline,body\nx,y\n")
    upload = browser.find_element(By.CSS_SELECTOR, "#upload input[type=file]")
    upload.send_keys("\n".join(str(p) for p in (seed_article, second, broken)))
    browser.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    wait(browser, lambda d: message(d))
    text = message(browser)
    assert "Added 2 article(s)" in text and SEED_ID in text
    assert "wire.csv: the CSV header has no 'text' column" in text                # which file, and why
    assert len(browser.find_elements(By.CSS_SELECTOR, "#articles tbody tr")) == 2
    shot(browser, "1-summit-articles")


def test_2_review_by_keyboard(server, browser):
    browser.get(f"{server.base_url}/summits/{SLUG}/articles/{SEED_ID}")
    marks = browser.find_elements(By.CSS_SELECTOR, "#text mark")
    assert len(rows(browser)) >= 10 and len(marks) >= len(rows(browser))
    assert all(m.get_attribute("data-state").startswith("suggested-") for m in marks)   # colour by suggested label
    assert not browser.find_elements(By.CSS_SELECTOR, ".notice")                        # not the evaluation slice
    shot(browser, "2-review")

    before = row_states(browser)
    press(browser, "1", "2", "3")                       # relabel three statements; each moves on to the next
    wait(browser, lambda d: row_states(d)[:3] == ["cooperative", "confrontational", "conditional"])
    assert selected(browser) == 3
    press(browser, "k", "j", Keys.ARROW_DOWN, Keys.ARROW_UP)
    assert selected(browser) == 3
    press(browser, "0")                                 # codebook step 0: not a statement
    wait(browser, lambda d: row_states(d)[3] == "not_statement")
    first_mark = browser.find_element(By.ID, f"m-{rows(browser)[0].get_attribute('data-id')}")
    assert first_mark.get_attribute("data-state") == "cooperative"

    press(browser, "u")                                 # undo takes back the "not a statement"
    wait(browser, lambda d: row_states(d) and row_states(d)[3] == before[3])
    assert selected(browser) == 3
    press(browser, "0")
    wait(browser, lambda d: row_states(d)[3] == "not_statement")

    extracted = speaker_field(browser, 4).get_attribute("value")
    press(browser, "s")                                 # the speaker's name, edited like the parties
    wait(browser, lambda d: d.switch_to.active_element == speaker_field(d, 4))
    speaker_field(browser, 4).send_keys(Keys.CONTROL, "a")
    speaker_field(browser, 4).send_keys("Vladimir Putin", Keys.ENTER)
    wait(browser, lambda d: "Saved speaker: Vladimir Putin." in message(d))
    view = api(server, f"/v1/summits/{SLUG}/articles/{SEED_ID}?annotator=ana")["statements"][4]
    assert (view["speaker"], view["extracted_speaker"]) == ("Vladimir Putin", extracted)
    press(browser, "u")                                 # undo restores the extracted name
    wait(browser, lambda d: "Undone" in message(d) and speaker_field(d, 4).get_attribute("value") == extracted)
    assert selected(browser) == 4 and row_states(browser)[3] == "not_statement"

    field = rows(browser)[5].find_element(By.CSS_SELECTOR, "[data-field=target_party]")
    field.click()
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("Frobnia", Keys.ENTER)              # an unknown party is refused, and said so
    wait(browser, lambda d: "'Frobnia' is not a known state" in message(d))
    assert field.get_attribute("value") != "Frobnia"


def test_3_add_a_missed_statement_by_selecting_it(server, browser):
    browser.execute_script("""
        const box = document.getElementById('text'), text = box.textContent, at = text.indexOf(arguments[0]);
        const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
        let seen = 0, node, range = document.createRange(), started = false;
        while ((node = walker.nextNode())) {
          const len = node.textContent.length;
          if (!started && at < seen + len) { range.setStart(node, at - seen); started = true; }
          if (started && at + arguments[0].length <= seen + len) { range.setEnd(node, at + arguments[0].length - seen); break; }
          seen += len;
        }
        getSelection().removeAllRanges(); getSelection().addRange(range);""", MISSED)
    press(browser, "a")
    dialog = wait(browser, lambda d: d.find_element(By.ID, "add-dialog") if d.find_element(By.ID, "add-dialog")
                  .is_displayed() else None)
    assert dialog.find_element(By.ID, "add-quote").text == MISSED
    dialog.find_element(By.NAME, "speaker").send_keys("Charles Michel")
    dialog.find_element(By.NAME, "speaker_party").send_keys("EU")
    dialog.find_element(By.NAME, "target_party").send_keys("Beijing")
    dialog.find_element(By.CSS_SELECTOR, "select[name=decision] option[value=conditional]").click()
    dialog.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, lambda d: "Added statement" in message(d))
    added = browser.find_element(By.CSS_SELECTOR, "#statements tbody tr[aria-selected=true]")
    assert "added" in added.text and added.get_attribute("data-state") == "conditional"
    assert added.find_element(By.CSS_SELECTOR, "[data-field=target_party]").get_attribute("value") == "China"
    browser.get(f"{server.base_url}/summits/{SLUG}/articles/{SEED_ID}")        # reopened: the decisions are kept
    assert row_states(browser)[:4] == ["cooperative", "confrontational", "conditional", "not_statement"]
    shot(browser, "3-review-after-edits")


def test_4_export_matches_the_reviews(server, browser, seed_article, workspaces):
    browser.get(f"{server.base_url}/summits/{SLUG}")
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "Export")
    records = [json.loads(line) for line in fetch_text(browser, link.get_attribute("href")).splitlines()]
    text = seed_article.read_text(encoding="utf-8")
    got = sorted((text[r["start"]:r["end"]][:40], r["label"], r["target_party"]) for r in records)
    states = {s["id"]: s for s in api(server, f"/v1/summits/{SLUG}/articles/{SEED_ID}?annotator=ana")["statements"]}
    relabelled = [s for s in states.values() if s["decision"] in ("cooperative", "confrontational", "conditional")]
    expected = sorted((text[s["start"]:s["end"]][:40], s["decision"], s["target_party"]) for s in relabelled)
    assert len(records) == 4 and got == expected                      # three relabelled + the added one
    assert (MISSED[:40], "conditional", "China") in got               # not-a-statement is not exported
    assert {r["codebook"] for r in records} == {2} and {r["corpus"] for r in records} == {f"workspace:{SLUG}"}
    assert all(r["annotator"] == "ana" for r in records)
    out = workspaces / "check.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert run_stance("annotate", "check", str(out), env={"STANCE_WORKSPACES": str(workspaces)}).returncode == 0


def test_5_second_analyst_and_adjudication(server, browser):
    browser.get(f"{server.base_url}/summits/{SLUG}/articles/{SECOND}")
    assert "evaluation slice" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert not browser.find_elements(By.CSS_SELECTOR, "#text mark[data-state^=suggested-]")   # suggestions hidden
    press(browser, "1", "2")
    wait(browser, lambda d: row_states(d)[:2] == ["cooperative", "confrontational"])

    become(browser, "ben")                               # a second analyst: the page is drawn for them
    browser.get(f"{server.base_url}/summits/{SLUG}/articles/{SECOND}")
    assert row_states(browser)[:2] == ["pending", "pending"]
    press(browser, "1", "3")
    wait(browser, lambda d: row_states(d)[:2] == ["cooperative", "conditional"])

    browser.get(f"{server.base_url}/summits/{SLUG}/agreement")
    assert browser.find_element(By.ID, "kappa").text == "0.333"      # one of two agreed; chance agreement 0.25
    disagreements = browser.find_elements(By.CSS_SELECTOR, "#disagreements tbody tr")
    assert len(disagreements) == 1
    shot(browser, "5-agreement")
    disagreements[0].find_element(By.XPATH, ".//button[contains(., \"Adopt ana's\")]").click()
    wait(browser, lambda d: "adjudicated: confrontational" in message(d))
    assert "confrontational by ben" in browser.find_element(By.ID, "disagreements").text
    become(browser, "ana")


def test_6_dry_run_retrain_shows_the_decision_then_promote_and_roll_back(server, browser, models):
    browser.get(f"{server.base_url}/summits/{SLUG}/model")
    form = browser.find_element(By.ID, "retrain-form")
    assert form.find_element(By.NAME, "dry_run").is_selected()
    form.find_element(By.TAG_NAME, "summary").click()
    for field, value in (("epochs", "1"), ("limit", "40")):
        form.find_element(By.NAME, field).clear()
        form.find_element(By.NAME, field).send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#job .job[data-state=running]"), 30)
    shot(browser, "6-retrain-running")
    wait(browser, lambda d: "Retrain finished" in message(d), 420)   # the page reloads itself when the job ends
    job = browser.find_element(By.CSS_SELECTOR, "#job .job")
    assert job.get_attribute("data-state") == "done", job.text
    decision = browser.find_element(By.CSS_SELECTOR, ".decision")
    assert decision.text.startswith(("PROMOTE", "KEEP the current model")) and "dry run" in decision.text
    table = browser.find_element(By.CSS_SELECTOR, ".decision-table").text
    assert "gold test split" in table and "held-out articles" in table
    shot(browser, "6-retrain-decision")

    job = api(server, f"/v1/summits/{SLUG}/retrain")
    candidate = job["outcome"]["candidate"]
    form = browser.find_element(By.ID, "promote-form")
    form.find_element(By.CSS_SELECTOR, f"select[name=version] option[value='{candidate}']").click()
    form.find_element(By.NAME, "reason").send_keys("browser test: promote the candidate")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, lambda d: f"{candidate} (current)" in d.find_element(By.ID, "versions").text)
    history = browser.find_element(By.ID, "history").text
    assert "ana" in history and "browser test: promote the candidate" in history
    form = browser.find_element(By.ID, "rollback-form")
    form.find_element(By.NAME, "reason").send_keys("browser test: roll back")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, lambda d: "tiny-1 (current)" in d.find_element(By.ID, "versions").text)
    shot(browser, "6-models")
    log = [json.loads(line) for line in (models / "history.jsonl").read_text().splitlines()]
    assert [(e["action"], e["who"]) for e in log[-2:]] == [("promote", "ana"), ("rollback", "ana")]


def test_7_summary_chart_and_csv(server, browser):
    browser.get(f"{server.base_url}/summits/{SLUG}/summary")
    chart = browser.find_element(By.CSS_SELECTOR, "svg.chart")
    assert chart.get_attribute("role") == "img" and len(chart.find_elements(By.TAG_NAME, "rect")) >= 4
    assert "European Union" in browser.find_element(By.ID, "dyads").text
    shot(browser, "7-summary")
    csv = fetch_text(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "CSV").get_attribute("href"))
    assert csv.startswith("row,speaker_party,target_party,date,cooperative,confrontational,conditional,total,reviewed")


def test_8_narrow_window_and_queue(server, browser):
    browser.set_window_size(420, 860)
    try:
        for page in (f"/summits/{SLUG}/articles/{SEED_ID}", f"/summits/{SLUG}/queue"):
            browser.get(server.base_url + page)
            overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{page} is {overflow}px wider than a narrow window"
        shot(browser, "8-queue-narrow")
        browser.get(f"{server.base_url}/summits/{SLUG}/articles/{SEED_ID}")
        shot(browser, "8-review-narrow")
    finally:
        browser.set_window_size(1280, 800)
    for label in browser.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), select, textarea"):
        name = label.get_attribute("aria-label") or browser.execute_script(
            "return arguments[0].labels && arguments[0].labels.length ? arguments[0].labels[0].textContent : ''", label)
        assert name.strip(), f"unlabelled control {label.get_attribute('outerHTML')[:120]}"
