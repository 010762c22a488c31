"""`digestbot sandbox` / `digestbot preview`: the bot in a Telegram-like web page, no token needed.

clock.py (a schedule clock the page can move), world.py (the stand-in's people and chats, the
sandbox settings), view.py (the state the page draws), web.py (aiohttp: page + JSON API),
run.py (start/stop everything), static/ (the page: plain HTML, CSS and JavaScript).
"""
