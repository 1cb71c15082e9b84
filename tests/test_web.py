"""The web chat's HTML, upload rules and binding rules, without a server."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.answer import CANNOT_ANSWER, Answer, Backend, Citation
from app.cli import cli
from app.conversation import messages_of
from app.web.corpus import safe_name, store_upload
from app.web.launch import check_binding
from app.web.render import Turn, answer_message, scores_table, sources_panel, text, user_message
from ingest.errors import DocumentError, SettingsError, UnsupportedFile
from ingest.records import Place
from ingest.settings import Settings, load_settings
from retriever.passage import Passage

HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def passage(body: str, doc_id: str = "doc", score: float = 0.5) -> Passage:
    return Passage(
        doc_id=doc_id,
        title=f"Title of {doc_id}",
        source=f"{doc_id}.md",
        text=body,
        start=0,
        end=len(body),
        heading_path=("Part", "Section"),
        page=3,
        fused_score=score,
        dense_score=0.8,
        lexical_score=None,
    )


def answered(question: str, body: str, quote: str) -> Answer:
    p = passage(body)
    return Answer(
        question,
        "It says so [1].",
        [Citation(1, p, quote)],
        False,
        Backend.EXTRACTIVE,
        passages=[p],
    )


def tags(html: str) -> set[str]:
    return set(re.findall(r"<([a-z]+)", html))


def test_document_markup_is_shown_as_text_in_sources() -> None:
    answer = answered("q", f"Intro. {HOSTILE} More.", HOSTILE)
    html = sources_panel([Turn("a1", answer)], show_scores=True)
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in html
    assert "&lt;script&gt;" in html
    assert not tags(html) & {"img", "script"}


def test_question_markup_is_shown_as_text_in_chat_and_sources() -> None:
    assert not tags(user_message(HOSTILE)) & {"img", "script"}
    answer = answered(HOSTILE, "Plain text.", "Plain text.")
    assert not tags(sources_panel([Turn("a1", answer)], False)) & {"img", "script"}


def test_template_and_latex_characters_are_inert() -> None:
    assert (
        text("${x} {{y}} `z` $$")
        == "&#36;&#123;x&#125; &#123;&#123;y&#125;&#125; &#96;z&#96; &#36;&#36;"
    )


def test_the_html_is_one_line_with_every_field_escaped() -> None:
    """Gradio reads chat messages as Markdown: a line break or an indented line in the HTML
    would change it, so the templates' line breaks stay out and the text's become <br>."""
    body = f"# Heading {HOSTILE}\n\n    indented {HOSTILE}\nlast"
    p = replace(passage(body, doc_id=HOSTILE), title=HOSTILE, heading_path=(HOSTILE,))
    answer = Answer(
        HOSTILE, f"Says {HOSTILE} [1].\nMore [2].", [Citation(1, p, "last", "last")], False,
        Backend.LLM, passages=[p], note=HOSTILE,
    )  # fmt: skip
    pieces = [
        user_message(f"{HOSTILE}\n  two"),
        answer_message(answer, "a1"),
        sources_panel([Turn("a1", answer)], show_scores=True),
    ]
    for html in pieces:
        assert "\n" not in html
        assert not tags(html) & {"img", "script"}
    assert "<strong>Heading &lt;img" in pieces[2]


def test_citation_markers_link_to_the_source_cards_of_their_own_answer() -> None:
    answer = answered("q", "First sentence. Second sentence.", "Second sentence.")
    answer.text = "Yes [1], not [7]."
    message = answer_message(answer, "abc")
    panel = sources_panel([Turn("abc", answer)], False)
    assert 'href="#cw-s-abc-1"' in message
    assert "[7]" in message and "#cw-s-abc-7" not in message
    assert 'id="cw-s-abc-1"' in panel and 'id="cw-set-abc"' in panel


def test_the_supporting_quote_is_highlighted_in_its_passage() -> None:
    answer = answered(
        "q", "First sentence. Second <b>bold</b> sentence. Third.", "Second <b>bold</b> sentence."
    )
    html = sources_panel([Turn("a", answer)], False)
    assert "First sentence. <mark>Second &lt;b&gt;bold&lt;/b&gt; sentence.</mark> Third." in html
    assert "Part &#8250; Section &#183; page 3" in html
    assert "Title of doc" in html


def test_earlier_answers_keep_their_own_sources_and_the_latest_is_shown() -> None:
    older = answered("old?", "Old passage.", "Old passage.")
    newer = answered("new?", "New passage.", "New passage.")
    html = sources_panel([Turn("a1", older), Turn("a2", newer)], False)
    assert '<section class="cw-set" id="cw-set-a1"' in html
    assert '<section class="cw-set cw-active" id="cw-set-a2"' in html
    assert "<mark>Old passage.</mark>" in html and "<mark>New passage.</mark>" in html


def test_an_abstention_looks_different_and_still_shows_the_closest_passages() -> None:
    close = passage("Nearby but not an answer.")
    answer = Answer("q", CANNOT_ANSWER, [], True, Backend.EXTRACTIVE, passages=[close])
    message = answer_message(answer, "z")
    assert 'class="cw-answer cw-abstain"' in message and "closest passages" in message
    panel = sources_panel([Turn("z", answer)], False)
    assert "Closest passages found" in panel and "Nearby but not an answer." in panel


def test_all_retrieved_passages_with_scores_only_when_asked() -> None:
    answer = answered("q", "Body.", "Body.")
    answer.passages.append(passage("Another.", "other", 0.25))
    assert "cw-scores" not in sources_panel([Turn("a", answer)], False)
    shown = sources_panel([Turn("a", answer)], True)
    assert "All 2 retrieved passages" in shown
    assert "<td>0.5000</td><td>0.800</td><td>&#8212;</td>" in shown


def test_the_scores_table_is_in_fused_order_with_plain_text_previews() -> None:
    low = passage("## Heading\n\n- a **bold** [link](http://x) item", "low", 0.01)
    high = passage("| a | b |\n|---|---|\n| 1 | 2 |", "high", 0.03)
    answer = Answer("q", "x", [], False, Backend.EXTRACTIVE, passages=[low, high])
    table = scores_table(answer.passages)
    assert table.index("Title of high") < table.index("Title of low")
    assert "Heading a bold link item" in table and "a b 1 2" in table
    assert "##" not in table and "**" not in table and "](" not in table
    assert "cosine similarity" in table and "BM25" in table


def test_a_scoped_answer_says_which_documents_it_searched() -> None:
    answer = answered("q", "Body.", "Body.")
    answer.searched_documents = ["reports/a.md", "reports/b.md"]
    assert "searched only reports/a.md and reports/b.md" in answer_message(answer, "a")


def test_follow_up_questions_carry_the_conversation_as_plain_text() -> None:
    answer = answered("<b>first?</b>", "Body.", "Body.")
    assert messages_of([Turn("a", answer)]) == [
        {"role": "user", "content": "<b>first?</b>"},
        {"role": "assistant", "content": "It says so [1]."},
    ]


@pytest.mark.parametrize(
    ("original", "safe"),
    [
        pytest.param("../../etc/passwd.md", "passwd.md", id="parent-dirs"),
        pytest.param("..\\..\\windows\\evil.txt", "evil.txt", id="backslashes"),
        pytest.param("/abs/path/notes.md", "notes.md", id="absolute"),
        pytest.param(".hidden.md", "hidden.md", id="hidden"),
        pytest.param("a b<c>|d.md", "a b_c_d.md", id="odd-characters"),
        pytest.param("..", "upload", id="only-dots"),
    ],
)
def test_upload_names_cannot_leave_the_upload_folder(original: str, safe: str) -> None:
    assert safe_name(original) == safe


def test_an_upload_is_copied_into_the_upload_folder(tmp_path: Path) -> None:
    settings = load_settings(store_dir=tmp_path / "store")
    source = tmp_path / "tmpfile"
    source.write_text("# Notes\n\nHello.")
    target = store_upload(source, "../../notes.md", settings)
    assert target == (settings.uploads / "notes.md").resolve()
    assert target.read_text() == "# Notes\n\nHello."


def test_uploads_of_unsupported_types_are_refused(tmp_path: Path) -> None:
    settings = load_settings(store_dir=tmp_path / "store")
    source = tmp_path / "tmpfile"
    source.write_bytes(b"MZ")
    with pytest.raises(
        UnsupportedFile, match=r"^unsupported extension \.exe; citewise reads .*\.md"
    ):
        store_upload(source, "tool.exe", settings)
    assert not settings.uploads.exists()


def test_uploads_over_the_size_limit_are_refused(tmp_path: Path) -> None:
    settings = load_settings(store_dir=tmp_path / "store", max_file_mb=0.001)
    source = tmp_path / "tmpfile"
    source.write_text("x" * 2000)
    with pytest.raises(DocumentError, match=r"^0.0 MB is over the 0.001 MB limit"):
        store_upload(source, "big.md", settings)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_needs_no_password(host: str) -> None:
    assert check_binding(Settings(host=host)) is None


def test_another_address_needs_a_password() -> None:
    with pytest.raises(SettingsError, match="Refusing to serve the chat on 0.0.0.0"):
        check_binding(Settings(host="0.0.0.0"))
    assert check_binding(Settings(host="0.0.0.0", auth="alice:s3:cret")) == [("alice", "s3:cret")]


def test_a_malformed_auth_is_refused() -> None:
    with pytest.raises(SettingsError, match="auth must look like USER:PASS"):
        check_binding(Settings(auth="alice"))


def test_chat_command_refuses_a_public_address_without_auth(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["chat", "--store", str(tmp_path), "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "Error: Refusing to serve the chat on 0.0.0.0 without a password" in result.output


def test_the_answer_span_is_marked_inside_the_quoted_sentence() -> None:
    body = "Intro. ElyT-MaX is based in Sendai, Japan <b>. More."
    quote = "ElyT-MaX is based in Sendai, Japan <b>."
    p = passage(body)
    citation = Citation(1, p, quote, answer_span="Sendai, Japan <b>")
    answer = Answer(
        "q", "It is in Sendai [1].", [citation], False, Backend.EXTRACTIVE, passages=[p]
    )
    html = sources_panel([Turn("a1", answer)], show_scores=False)
    assert (
        '<mark>ElyT-MaX is based in <strong class="cw-span">Sendai, Japan &lt;b&gt;</strong>.'
        "</mark>"
    ) in html


def test_cited_table_rows_are_shown_as_a_table_with_the_cited_row_marked() -> None:
    rows = [
        "Plan: Basic; Price: 0 EUR/month",
        "Plan: Pro; Price: 20 EUR/month; Support: <b>email</b>",
    ]
    body = "Pricing\n\n" + "\n\n".join(rows)
    starts = [body.index(r) for r in rows]
    p = replace(
        passage(body),
        page=None,
        places=(Place(0), Place(starts[0], row=2), Place(starts[1], row=3)),
    )
    answer = Answer(
        "q",
        "It costs 20 [1].",
        [Citation(1, p, rows[1], "20 EUR/month")],
        False,
        Backend.EXTRACTIVE,
    )
    html = sources_panel([Turn("t", answer)], False)
    assert "<th>Row</th><th>Plan</th><th>Price</th><th>Support</th>" in html
    assert "<tr><td>2</td><td>Basic</td><td>0 EUR/month</td><td></td></tr>" in html
    cited = re.search(r'<tr class="cw-cited">(.*?)</tr>', html)
    assert cited and '<strong class="cw-span">20 EUR/month</strong>' in cited.group(1)
    assert "&lt;b&gt;email&lt;/b&gt;" in cited.group(1) and "<b>" not in html
    assert "Section &#183; row 3" in html


def test_ocr_text_and_the_quote_page_are_named_in_the_source_card() -> None:
    body = "First page text.\n\nSecond page text."
    p = replace(
        passage(body),
        page=1,
        places=(Place(0, page=1, ocr=True), Place(body.index("Second"), page=2, ocr=True)),
    )
    answer = answered("q", body, "Second page text.")
    answer.citations[0] = Citation(1, p, "Second page text.")
    html = sources_panel([Turn("o", answer)], False)
    assert "page 2 &#183; text read by OCR, may hold misread words" in html
