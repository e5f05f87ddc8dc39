"""A handler that fails: the group's officer is told once (where, not what), the resident's
group sees nothing, and the bot keeps answering."""

from __future__ import annotations

import pytest

from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_outbox, build_services
from bot.runtime import deduplicated
from tests.integration.test_flow import GROUP, OFFICER_CHAT, Clock, said, settings_for


async def test_the_officer_is_told_once_when_a_message_could_not_be_handled(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = build_services(settings_for(db_url), Clock())
    bot = FakeAdapter()
    await bot.start(deduplicated(services, build_dispatcher(services, {"console": bot})))
    await bot.inject(said("/bind", sender="王警官"))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the matcher")

    monkeypatch.setattr(services.knowledge, "decide", broken)
    bot.sent.clear()
    assert await bot.inject(said("身份证丢了怎么补办")) == []
    await bot.inject(said("居住证怎么办"))  # a second failure in the same group: no second note
    await build_outbox(services, {"console": bot}).deliver_due()

    notes = [o for o in bot.sent if o.chat == OFFICER_CHAT]
    assert len(notes) == 1
    assert "幸福里社区群" in notes[0].text and "没能处理" in notes[0].text
    assert "RuntimeError" not in notes[0].text and "bug" not in notes[0].text
    assert not [o for o in bot.sent if o.chat == GROUP]

    monkeypatch.undo()
    out = await bot.inject(said("身份证丢了怎么补办"))
    assert [o for o in out if o.chat == GROUP]  # answered again once the bug is gone
