"""The lineage explorer (血缘关系浏览) in headless Chromium against the real app and demo catalog:
token prompt, search, drawing, expanding a node by clicking it, switching depth and direction,
and a screenshot. Plus the page's HTTP contract: static, token-free, same-origin only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.conftest import Artifacts, DemoServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROOT_NAME = "营业执照"
NODES = "#graph svg.lineage g.node"


class PageWatch:
    """Everything the page did that a test should fail on: script errors, console errors,
    requests to anywhere but our server."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        page.on(
            "request",
            lambda req: (
                None
                if req.url.startswith((base_url + "/", "data:"))
                else self.foreign.append(req.url)
            ),
        )


def node_layers(page: Page) -> list[int]:
    return [int(v) for v in page.eval_on_selector_all(NODES, "gs => gs.map(g => g.dataset.layer)")]


def wait_ready(page: Page, depth: int, direction: str = "BOTH") -> None:
    page.wait_for_selector(
        f'#graph[data-state="ready"][data-depth="{depth}"][data-direction="{direction}"]'
    )


def sign_in(page: Page, server: DemoServer) -> None:
    page.goto(f"{server.base_url}/lineage")
    page.locator("#token-input").fill(server.token)
    page.locator("#token-save").click()
    page.locator("#who").wait_for(state="visible")


@pytest.mark.slow
def test_auditor_explores_lineage_of_a_certificate_type(
    demo_server: DemoServer, page: Page, tmp_path: Path, artifacts: Artifacts
) -> None:
    watch = PageWatch(page, demo_server.base_url)

    # Without a token: only the prompt (with its explanation), no explorer, no data.
    page.goto(f"{demo_server.base_url}/lineage")
    prompt = page.locator("#token-panel")
    prompt.wait_for(state="visible")
    assert "sessionStorage" in prompt.inner_text()
    assert page.locator("#explorer").is_hidden()
    anonymous = page.request.post(
        f"{demo_server.base_url}/graphql",
        data={"query": '{ search(text: "营业执照") { totalCount } }'},
    )
    assert anonymous.status == 401

    # The token is kept in this tab's sessionStorage, never in the address.
    page.locator("#token-input").fill(f"Bearer {demo_server.token}")
    page.locator("#token-save").click()
    page.locator("#who").wait_for(state="visible")
    assert prompt.is_hidden()
    stored = page.evaluate("sessionStorage.getItem('irs.lineage.token')")
    assert stored == demo_server.token
    assert demo_server.token not in page.url

    # Search, pick the certificate type; depth 1 so that expanding has something to add.
    page.locator("#depth").select_option("1")
    page.locator("#search-input").fill(ROOT_NAME)
    result = page.locator(
        '#search-results li.result[data-kind="CertificateType"]', has_text=ROOT_NAME
    )
    result.first.click()
    wait_ready(page, depth=1)

    root = page.locator(f"{NODES}.root")
    assert root.count() == 1
    assert root.get_attribute("data-name") == ROOT_NAME
    assert "证照类型" in (root.text_content() or "")
    first_count = page.locator(NODES).count()
    assert first_count >= 2, "the root and at least one neighbour"
    layers = node_layers(page)
    assert set(layers) - {0}, "neighbours sit left (upstream) or right (downstream) of the root"
    assert all(abs(layer) <= 1 for layer in layers)
    edges = page.locator("#graph svg.lineage g.edge")
    assert edges.count() >= 1
    assert all(t for t in edges.evaluate_all("gs => gs.map(g => g.dataset.types)"))
    # Arrows follow the data: from upstream (left) to downstream (right) of the root.
    root_id = root.get_attribute("data-id")
    layer_of = dict(
        page.eval_on_selector_all(
            NODES, "gs => gs.map(g => [g.dataset.id, Number(g.dataset.layer)])"
        )
    )
    flows = edges.evaluate_all("gs => gs.map(g => [g.dataset.from, g.dataset.to])")
    assert any(root_id in flow for flow in flows)
    for upstream, downstream in flows:
        if root_id in (upstream, downstream):
            assert layer_of[upstream] < layer_of[downstream], (upstream, downstream)
    assert page.locator("#graph svg.lineage g.edge-label text").first.text_content()

    # Click a neighbour (the dataset the licence is issued from, when drawn): it expands.
    neighbour = page.locator(f'{NODES}[data-kind="Dataset"]:not(.root)')
    if neighbour.count() == 0:
        neighbour = page.locator(f"{NODES}:not(.root)")
    target = neighbour.first
    target_id = target.get_attribute("data-id")
    target.click()
    page.wait_for_function(
        "n => document.querySelectorAll('#graph svg.lineage g.node').length > n", arg=first_count
    )
    wait_ready(page, depth=1)
    expanded = page.locator(f'{NODES}[data-id="{target_id}"]')
    assert "expanded" in (expanded.get_attribute("class") or "")
    assert "已展开" in page.locator("#status").inner_text()
    assert (
        page.locator(f'#details-body h3:text-is("{expanded.get_attribute("data-name")}")').count()
        == 1
    )
    expanded_count = page.locator(NODES).count()
    assert expanded_count > first_count

    # Depth 3 redraws from the root, reaching two or more hops away.
    page.locator("#depth").select_option("3")
    wait_ready(page, depth=3)
    assert page.locator(f"{NODES}.root").get_attribute("data-name") == ROOT_NAME
    assert page.locator(NODES).count() >= first_count
    assert max(abs(layer) for layer in node_layers(page)) >= 2
    assert "depth=3" in page.url

    shot = tmp_path / "lineage-explorer.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 10_000
    artifacts.add(shot)
    print(f"screenshot: {shot}")

    # Upstream only: everything but the root is left of it.
    page.locator("#direction").select_option("UPSTREAM")
    wait_ready(page, depth=3, direction="UPSTREAM")
    assert all(layer < 0 for layer in node_layers(page) if layer != 0)
    assert page.locator(NODES).count() >= 2

    assert page.locator("#problem").is_hidden()
    assert watch.errors == []
    assert watch.foreign == []


@pytest.mark.slow
def test_as_of_date_hides_flows_that_had_not_started(demo_server: DemoServer, page: Page) -> None:
    # 市场主体登记信息 feeds 法人库 since 2021-03-01 and 电子证照库 since 2021-09-01 (UTC).
    watch = PageWatch(page, demo_server.base_url)
    sign_in(page, demo_server)
    page.locator("#direction").select_option("DOWNSTREAM")
    page.locator("#depth").select_option("1")
    page.locator("#search-input").fill("市场主体登记信息")
    page.locator(
        '#search-results li.result[data-kind="Dataset"]', has_text="市场主体登记信息"
    ).first.click()
    wait_ready(page, depth=1, direction="DOWNSTREAM")
    legal_persons = page.locator(f'{NODES}[data-code="350200-SJJ-00002"]')
    licences = page.locator(f'{NODES}[data-code="350200-SJJ-00005"]')
    assert legal_persons.count() == 1
    assert licences.count() == 1
    # Times are shown in Asia/Shanghai: 00:00 UTC is 08:00 in Xiamen.
    assert "自 2021-09-01 08:00" in page.locator("#details-body").inner_text()

    page.locator("#as-of").fill("2021-06-01")
    page.wait_for_selector('#graph[data-state="ready"][data-as-of="2021-06-01"]')
    assert legal_persons.count() == 1
    assert licences.count() == 0
    assert "截至 2021-06-01" in page.locator("#status").inner_text()
    assert "asOf=2021-06-01" in page.url

    page.locator("#as-of").fill("")
    page.wait_for_selector('#graph[data-state="ready"][data-as-of=""]')
    assert licences.count() == 1
    assert watch.errors == []
    assert watch.foreign == []


@pytest.mark.slow
def test_refused_token_brings_the_prompt_back(demo_server: DemoServer, page: Page) -> None:
    page.goto(f"{demo_server.base_url}/lineage")
    page.locator("#token-input").fill("irs_not_a_real_token")
    page.locator("#token-save").click()
    error = page.locator("#token-error")
    error.wait_for(state="visible")
    assert "令牌" in error.inner_text()
    assert page.locator("#explorer").is_hidden()
    assert page.evaluate("sessionStorage.getItem('irs.lineage.token')") is None


@pytest.mark.slow
def test_unknown_resource_in_the_address_shows_a_typed_problem(
    demo_server: DemoServer, page: Page
) -> None:
    sign_in(page, demo_server)
    page.goto(f"{demo_server.base_url}/lineage#id=RGF0YXNldDpOTy1TVUNI&depth=2")  # Dataset:NO-SUCH
    page.reload()
    problem = page.locator("#problem")
    problem.wait_for(state="visible")
    assert page.locator(NODES).count() == 0


def test_page_is_static_same_origin_and_serves_only_its_files(demo_server: DemoServer) -> None:
    with httpx.Client(base_url=demo_server.base_url) as client:
        page = client.get("/lineage")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "connect-src 'self'" in csp
        assert "血缘关系浏览" in page.text
        assert "http://" not in page.text
        assert "https://" not in page.text
        script = client.get("/lineage/static/lineage.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert client.get("/lineage/static/lineage.css").status_code == 200
        for name in ("__init__.py", "lineage.html", "..%2F__init__.py", "nope.js"):
            assert client.get(f"/lineage/static/{name}").status_code == 404
        assert client.post("/graphql", json={"query": "{ me { name } }"}).status_code == 401
