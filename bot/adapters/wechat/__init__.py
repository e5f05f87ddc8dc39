"""The WeChat edge: a Wechaty puppet-service gateway behind the platform-neutral ``ChatAdapter``.

WeChat has no bot API. A *gateway* — a Node Wechaty puppet service that the admin runs
beside the bot — holds the logged-in WeChat account and speaks gRPC; this adapter is its
client, on python-wechaty's puppet-service client (``wechaty-puppet-service`` 0.8.10, the
release python-wechaty 0.10.7 uses).

Three parts, each importing only the ones before it:

- ``mapping``: pure, unit-tested without a gateway: a ``WechatMessage`` (plain values read
  from the gateway) becomes an ``IncomingMessage``; room joins/leaves of the bot become
  ``BotAddedToGroup``/``BotRemovedFromGroup``; an ``Outgoing`` becomes text plus a mention
  list (WeChat has no buttons: they become text commands).
- ``client``: the gateway connection and every call on it: reading events' payloads,
  names and topics, sending texts and files, fetching pictures.
- ``supervisor``: ``WechatAdapter``, the client plus its lifecycle: connects, waits until
  the account is logged in and ready, reads the gateway's event stream into one ordered
  queue, and when the gateway goes away or the account logs out it reconnects with capped
  exponential backoff and tells ``on_connection_change`` (so the admin can be alerted on
  Telegram).

python-wechaty 0.10.7 is unmaintained; what we learned about it is written out next to the
code that works around it, under these numbers:

1. ``import wechaty`` (the ``Wechaty`` bot class) is never done (client's docstring).
2. The endpoint is checked with a non-blocking TCP connect before a client is built
   (``client.GatewayClient._probe``).
3. ``PuppetService.start()`` is never called: the adapter opens the event stream itself
   (``supervisor.WechatAdapter._run_connection``).
4. Every connection gets its own explicit ``PuppetOptions`` (``client.GatewayClient._connect``).
5. wechaty's loggers and the token (``client.GatewayClient._connect`` and ``_guard_logs``).
6. Its message types are numbered differently from the gateway's
   (``client.GatewayClient._resolve_message``).
7. Its calls have no timeout: every call here has one (``client.GatewayClient._call``).
"""

from bot.adapters.wechat.client import GatewayClient, WechatOptions
from bot.adapters.wechat.mapping import (
    IMAGE_MESSAGE_TYPE,
    MENTION_END,
    PLATFORM,
    QUOTE_SEPARATOR,
    TEXT_MESSAGE_TYPE,
    ButtonCommand,
    Identity,
    WechatMessage,
    WechatSetupError,
    default_button_command,
    is_room_id,
    mention_text,
    outgoing_text,
    parse_endpoint,
    room_join_event,
    room_leave_event,
    split_quote,
    strip_mentions,
    timestamp_to_datetime,
    to_event,
)
from bot.adapters.wechat.supervisor import ConnectionListener, RoomsListener, WechatAdapter

__all__ = [
    "IMAGE_MESSAGE_TYPE",
    "MENTION_END",
    "PLATFORM",
    "QUOTE_SEPARATOR",
    "TEXT_MESSAGE_TYPE",
    "ButtonCommand",
    "ConnectionListener",
    "GatewayClient",
    "Identity",
    "RoomsListener",
    "WechatAdapter",
    "WechatMessage",
    "WechatOptions",
    "WechatSetupError",
    "default_button_command",
    "is_room_id",
    "mention_text",
    "outgoing_text",
    "parse_endpoint",
    "room_join_event",
    "room_leave_event",
    "split_quote",
    "strip_mentions",
    "timestamp_to_datetime",
    "to_event",
]
