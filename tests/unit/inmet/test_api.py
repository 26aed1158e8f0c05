"""The API client against a local fake that answers with INMET's real shapes and statuses."""

import json
import logging
import time
from datetime import date

import pytest

from lumen.inmet.api import InmetApiError, InmetAuthError, InmetClient, chunk_ranges, unknown_fields
from tests.conftest import samples_dir
from tests.fakes.http import FakeServer, json_reply, sequence, slow
from tests.fakes.inmet import api_records_from_pandas_csv, compact

A621_PATH = "/estacao/2020-09-01/2020-09-30/A621"


def client(url: str, **kw) -> InmetClient:
    return InmetClient(url, timeout_s=kw.pop("timeout_s", 2.0), backoff_s=0.01, **kw)


def test_real_station_list_and_month():
    samples = samples_dir()
    stations = json.loads((samples / "api_estacoes_T_automaticas.json").read_text())
    month = api_records_from_pandas_csv(samples / "api_estacao_A621_2020-09-01_2020-09-30.pandas.csv")
    with FakeServer() as fake:
        fake.routes["/estacoes/T"] = json_reply(compact(stations))
        fake.routes[A621_PATH] = json_reply(compact(month))
        c = client(fake.url)
        got = c.stations("T")
        assert len(got) == 565 and got[0]["CD_ESTACAO"] == "A422"
        chunks = list(c.observations("A621", date(2020, 9, 1), date(2020, 9, 30)))
    assert len(chunks) == 1 and len(chunks[0].records) == 720
    first = chunks[0].records[0]
    assert first["HR_MEDICAO"] == "0000" and first["TEM_INS"] == "23.7" and first["RAD_GLO"] == "-2.556"
    assert chunks[0].origin == fake.url + A621_PATH
    ua = fake.requests[0]["headers"]["User-Agent"]
    assert ua.startswith("Mozilla/5.0")  # INMET answers 403 to non-browser agents
    assert unknown_fields(month) == set()


def test_204_and_empty_body_mean_no_data():
    with FakeServer() as fake:
        fake.routes[A621_PATH] = lambda _h: (204, {}, b"")
        fake.routes["/estacao/2020-10-01/2020-10-01/A621"] = json_reply(b"")
        c = client(fake.url)
        assert list(c.observations("A621", date(2020, 9, 1), date(2020, 9, 30)))[0].records == []
        assert list(c.observations("A621", date(2020, 10, 1), date(2020, 10, 1)))[0].records == []


def test_403_is_a_token_error_and_the_token_never_shows():
    with FakeServer() as fake:
        path = "/token/estacao/2020-09-01/2020-09-30/A621/s3cr3t-t0ken"
        fake.routes[path] = lambda _h: (403, {"Content-Type": "text/html"}, b"<h1>Forbidden</h1>")
        c = client(fake.url, token="s3cr3t-t0ken")
        with pytest.raises(InmetAuthError, match="INMET token missing or refused") as exc:
            list(c.observations("A621", date(2020, 9, 1), date(2020, 9, 30)))
        assert "s3cr3t-t0ken" not in str(exc.value) and "***" in str(exc.value)
        assert fake.count(path) == 1  # not retried


def test_404_names_the_route():
    with FakeServer() as fake:
        with pytest.raises(InmetApiError, match=r"HTTP 404, no such route") as exc:
            client(fake.url).stations("T")
        assert "/estacoes/T" in str(exc.value)


def test_500_then_200_is_retried():
    with FakeServer() as fake:
        fake.routes[A621_PATH] = sequence((500, {}, b"oops"), (503, {}, b"busy"), (200, {}, compact([])))
        assert list(client(fake.url).observations("A621", date(2020, 9, 1), date(2020, 9, 30)))[0].records == []
        assert fake.count(A621_PATH) == 3


def test_persistent_5xx_gives_up_with_the_status():
    with FakeServer() as fake:
        fake.routes[A621_PATH] = json_reply(b"{}", status=502)
        with pytest.raises(InmetApiError, match="HTTP 502 after 3 tries"):
            list(client(fake.url, retries=2).observations("A621", date(2020, 9, 1), date(2020, 9, 30)))
        assert fake.count(A621_PATH) == 3


def test_slow_answer_times_out_then_retry_succeeds():
    with FakeServer() as fake:
        fast = (200, {"Content-Type": "application/json"}, compact([]))
        state = {"n": 0}

        def first_slow(h):
            state["n"] += 1
            return slow(fast, 1.5)(h) if state["n"] == 1 else fast

        fake.routes["/estacoes/T"] = first_slow
        assert client(fake.url, timeout_s=0.5).stations("T") == []
        assert state["n"] == 2


def test_always_slow_is_a_clear_timeout():
    with FakeServer() as fake:
        fake.routes["/estacoes/T"] = slow((200, {}, b"[]"), 1.0)
        start = time.monotonic()
        with pytest.raises(InmetApiError, match=r"no answer within 0.3 s \(2 tries\)"):
            client(fake.url, timeout_s=0.3, retries=1).stations("T")
        assert time.monotonic() - start < 5


def test_html_page_and_truncated_json_name_url_and_bytes():
    with FakeServer() as fake:
        fake.routes["/estacoes/T"] = json_reply(b"<!DOCTYPE html><html><body>Manutencao</body></html>")
        fake.routes["/estacoes/M"] = json_reply(b'[{"CD_ESTACAO":"A001","DC_NOME":"BRAS')
        with pytest.raises(InmetApiError, match=r"/estacoes/T: the answer is an HTML page; first bytes: b'<!DOCTYPE"):
            client(fake.url).stations("T")
        with pytest.raises(InmetApiError, match=r"/estacoes/M: the answer is not valid JSON \(truncated\?\)"):
            client(fake.url).stations("M")


def test_long_range_is_chunked_and_at_most_four_in_flight():
    with FakeServer() as fake:
        for a, b in chunk_ranges(date(2015, 1, 1), date(2020, 12, 31)):
            for code in ("A001", "A002"):
                fake.routes[f"/estacao/{a:%Y-%m-%d}/{b:%Y-%m-%d}/{code}"] = slow((200, {}, compact([])), 0.15)
        chunks = list(client(fake.url).observations_many(["A001", "A002"], date(2015, 1, 1), date(2020, 12, 31)))
    assert len(chunks) == 14  # 2,192 days = 7 chunks of ≤ 365 days, per station
    assert all((c.end - c.start).days < 365 for c in chunks)
    assert [c.start for c in chunks[:2]] == [date(2015, 1, 1), date(2016, 1, 1)]
    assert 2 <= fake.max_in_flight <= 4


def test_new_fields_are_reported(caplog):
    rec = {"CD_ESTACAO": "A001", "DT_MEDICAO": "2023-01-01", "HR_MEDICAO": "0000", "TEM_SEN": "20", "XYZ_NEW": "1"}
    with FakeServer() as fake:
        fake.routes["/estacao/2023-01-01/2023-01-01/A001"] = json_reply(compact([rec]))
        with caplog.at_level(logging.WARNING, logger="lumen.inmet"):
            list(client(fake.url).observations("A001", date(2023, 1, 1), date(2023, 1, 1)))
    assert "XYZ_NEW" in caplog.text and "TEM_SEN" not in caplog.text


def test_chunk_ranges_edges():
    assert chunk_ranges(date(2024, 1, 1), date(2024, 1, 1)) == [(date(2024, 1, 1), date(2024, 1, 1))]
    assert len(chunk_ranges(date(2024, 1, 1), date(2024, 12, 30))) == 1  # 365 days
    assert len(chunk_ranges(date(2024, 1, 1), date(2024, 12, 31))) == 2  # 366 days (leap year)
    with pytest.raises(InmetApiError, match="ends"):
        chunk_ranges(date(2024, 2, 1), date(2024, 1, 1))


def test_a_trickling_server_is_cut_off_at_the_deadline():
    """One byte every 0.3 s keeps each read inside a 1 s read timeout; the whole answer must still
    arrive within INMET_TIMEOUT (it once ran past 90 s with INMET_TIMEOUT=10)."""
    import time

    def trickle(h):
        body = compact([{"CD_ESTACAO": "A621"}] * 20)
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        for i in range(len(body)):
            h.wfile.write(body[i : i + 1])
            h.wfile.flush()
            time.sleep(0.3)

    with FakeServer() as fake:
        fake.routes["/estacoes/T"] = trickle
        t0 = time.monotonic()
        with pytest.raises(InmetApiError, match=r"/estacoes/T: the answer did not arrive whole within 1 s"):
            client(fake.url, timeout_s=1.0).stations("T")
        assert time.monotonic() - t0 < 2.5
