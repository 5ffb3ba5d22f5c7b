"""Smoke test of the Python client openapi-python-client generates from
the served contract: log in, list programmes, read an enterprise, page
through a list, read a problem, in English and Chinese.

Run by tests/clients/run.sh with SHUZHUAN_URL and SHUZHUAN_ADMIN_PASSWORD.
"""

import os

from shuzhuan_client import AuthenticatedClient, Client
from shuzhuan_client.api.auth import create_token
from shuzhuan_client.api.enterprises import get_enterprise, list_enterprises
from shuzhuan_client.api.programs import get_program, list_programs, list_regions
from shuzhuan_client.models import (
    EnterpriseView,
    ListEnterpriseView,
    ListProgramView,
    ListRegionView,
    ProgramView,
    Problem,
    TokenRequest,
    TokenResponse,
)

base = os.environ["SHUZHUAN_URL"]
password = os.environ["SHUZHUAN_ADMIN_PASSWORD"]

token = create_token.sync(
    client=Client(base_url=base), body=TokenRequest(username="admin", password=password)
)
assert isinstance(token, TokenResponse), token
client = AuthenticatedClient(base_url=base, token=token.access_token)

programs = list_programs.sync(client=client)
assert isinstance(programs, ListProgramView), programs
codes = sorted(p.code for p in programs.items)
assert "yinchuan" in codes, codes
yinchuan = next(p for p in programs.items if p.code == "yinchuan")
one = get_program.sync(yinchuan.id, client=client)
assert isinstance(one, ProgramView) and one.id == yinchuan.id

# Page through the regions two at a time: the pages add up to the whole.
seen, cursor = [], None
while True:
    kwargs = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
    page = list_regions.sync(yinchuan.id, client=client, **kwargs)
    assert isinstance(page, ListRegionView), page
    seen += [r.code for r in page.items]
    if not page.next_cursor:
        break
    cursor = page.next_cursor
whole = list_regions.sync(yinchuan.id, client=client, limit=500)
assert seen == [r.code for r in whole.items], (seen, whole)

enterprises = list_enterprises.sync(client=client, program_id=yinchuan.id, limit=3)
assert isinstance(enterprises, ListEnterpriseView) and enterprises.items, enterprises
first = enterprises.items[0]
assert isinstance(first, EnterpriseView)
again = get_enterprise.sync(first.id, client=client)
assert isinstance(again, EnterpriseView) and again.uscc == first.uscc, again

# A problem is a typed object with its code, in the language asked for.
missing = get_enterprise.sync("no-such-enterprise", client=client)
assert isinstance(missing, Problem) and missing.code == "not_found", missing
zh = AuthenticatedClient(
    base_url=base, token=token.access_token, headers={"Accept-Language": "zh-CN"}
)
missing_zh = get_enterprise.sync("no-such-enterprise", client=zh)
assert isinstance(missing_zh, Problem) and missing_zh.title == "未找到", missing_zh

print(
    f"python client: {len(codes)} programmes, {len(seen)} regions in pages of 2, "
    f"enterprise {first.uscc}, problem {missing.code}"
)
