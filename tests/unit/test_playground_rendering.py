"""The playground's mrkdwn and Block Kit rendering: Slack's markup becomes tags, everything else is
text, so nothing a person typed can become live HTML in the page."""

from __future__ import annotations

from typing import Any

from slack_emulator.playground.blocks import Surface, render_blocks
from slack_emulator.playground.mrkdwn import to_html
from slack_emulator.playground.site import slack_typed

NAMES = {"U0CHAMP": "Jo", "C0SHARED": "fitco-shared"}


def render(text: str) -> str:
    return to_html(text, user_name=NAMES.get, channel_name=NAMES.get)


def test_bold_italic_strike_and_code_become_tags() -> None:
    assert (
        render("*Done* and _late_ and ~gone~")
        == "<strong>Done</strong> and <em>late</em> and <del>gone</del>"
    )
    assert render("run `done #12` now") == "run <code>done #12</code> now"
    assert render("```help\nlist```") == "<pre>help\nlist</pre>"


def test_markup_inside_a_word_or_code_stays_text() -> None:
    assert render("snake_case_name and 2*3*4") == "snake_case_name and 2*3*4"
    assert render("`*not bold*`") == "<code>*not bold*</code>"


def test_mentions_and_channel_links_show_names() -> None:
    assert render("<@U0CHAMP> in <#C0SHARED|old-name>") == (
        '<span class="mention">@Jo</span> in <span class="mention">#fitco-shared</span>'
    )
    assert render("<@U0NOBODY|sam>") == '<span class="mention">@sam</span>'
    assert render("<!here>") == '<span class="mention">@here</span>'


def test_links_keep_their_label_and_only_web_schemes_are_links() -> None:
    assert render("<https://example.com/a?b=1&amp;c=2|the plan>") == (
        '<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer" target="_blank">the plan</a>'
    )
    assert "<a" not in render("<javascript:alert(1)|click>")
    assert render("<javascript:alert(1)|click>") == "&lt;javascript:alert(1)|click&gt;"


def test_typed_html_is_escaped_whatever_slack_escaping_it_came_with() -> None:
    assert render("&lt;script&gt;alert(1)&lt;/script&gt;") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert render("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert render("\"quoted\" & 'single'") == "&quot;quoted&quot; &amp; &#x27;single&#x27;"
    assert render("*<img src=x onerror=alert(1)>*") == "<strong>&lt;img src=x onerror=alert(1)&gt;</strong>"


def test_a_label_cannot_break_out_of_a_mention_or_a_link() -> None:
    # The mention ends at the first `>`, as in Slack; the rest is text.
    assert render('<@U0NOBODY|"><b>x</b>>') == '<span class="mention">@&quot;</span>&lt;b&gt;x&lt;/b&gt;&gt;'
    assert render('<https://x.test/"onmouseover="alert(1)|go>') == (
        '<a href="https://x.test/&quot;onmouseover=&quot;alert(1)" rel="noopener noreferrer" target="_blank">go</a>'
    )


def test_placeholders_cannot_be_forged() -> None:
    assert render("\x000\x00 <@U0CHAMP>") == '0 <span class="mention">@Jo</span>'


def test_lines_and_quotes() -> None:
    assert render("one\n&gt; quoted\ntwo") == "one<br><blockquote>quoted</blockquote><br>two"


def test_blocks_escape_plain_text_and_button_values() -> None:
    surface = Surface(hidden={"as": "U0CHAMP"}, user_name=NAMES.get, channel_name=NAMES.get)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "<b>*Plan*</b>"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Did you* <@U0CHAMP>?"}},
        {
            "type": "actions",
            "block_id": "checkin",
            "elements": [
                {
                    "type": "button",
                    "action_id": "done",
                    "value": '7"><script>',
                    "text": {"type": "plain_text", "text": "Done"},
                }
            ],
        },
    ]
    page = render_blocks(blocks, surface)
    assert "&lt;b&gt;*Plan*&lt;/b&gt;" in page  # plain_text is never formatted
    assert '<strong>Did you</strong> <span class="mention">@Jo</span>?' in page
    assert '<input type="hidden" name="block_id" value="checkin">' in page
    assert "<script>" not in page


def test_what_a_person_types_reaches_the_app_as_slack_sends_it() -> None:
    people, channels = {"jo": "U0CHAMP"}, {"fitco-shared": "C0SHARED"}
    assert slack_typed("done #12 & ask @jo in #fitco-shared <b>", people, channels, labels=True) == (
        "done #12 &amp; ask <@U0CHAMP|jo> in <#C0SHARED|fitco-shared> &lt;b&gt;"
    )
    assert (
        slack_typed("<@U0CHAMP|jo> thanks @jo", people, channels, labels=False)
        == "<@U0CHAMP|jo> thanks <@U0CHAMP>"
    )
