from __future__ import annotations

from slack_bolt import App

from handlers.deps import Deps, bind
from handlers.events.home import publish_home
from handlers.events.mentions import on_app_mention
from handlers.events.messages import on_message
from handlers.events.people import ask_for_new_owners, record_deactivated, record_left_channel


def register(app: App, deps: Deps) -> None:
    app.event("app_home_opened")(bind(publish_home, deps))
    app.event("message")(bind(on_message, deps))
    app.event("app_mention")(bind(on_app_mention, deps))
    app.event("member_left_channel", middleware=[bind(record_left_channel, deps)])(
        bind(ask_for_new_owners, deps)
    )
    app.event("user_change", middleware=[bind(record_deactivated, deps)])(bind(ask_for_new_owners, deps))
