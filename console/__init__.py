"""The station console: a server-rendered web console for officers and station admins.

``officers.signin`` (sign-in links, sessions, CSRF, rate limits) and ``console.tickets`` (the
one place that calls the ticket domain) need no web library; ``console.app`` is the
Starlette application, ``bot.console_serve`` runs it. Like every module outside
``bot/adapters``, nothing here imports a chat platform.
"""
