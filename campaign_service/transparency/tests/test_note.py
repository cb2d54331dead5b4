"""transparency.note: checkpoints and signed notes, against the C2SP specifications' examples and
golang.org/x/mod/sumdb/note's test vectors."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from transparency import note
from transparency.note import Checkpoint, NoteError

# golang.org/x/mod/sumdb/note, note_test.go: TestSign
GO_SIGNER_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZS"
    "NXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# c2sp.org/signed-note, "Verifier keys", "Example"
C2SP_VERIFIER_KEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppz"
    "i2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
NAME = "localhost:8080/campaigns"
VERIFIER_KEY = note.verifier_key_string(NAME, KEY.public_key())
TEXT = note.checkpoint_text(
    origin="localhost:8080/campaigns/12",
    tree_size=3,
    root_hash=bytes(range(32)),
    total=2500,
    currency="usd",
)


def test_signing_matches_go_sumdb_note():
    key = Ed25519PrivateKey.from_private_bytes(GO_SIGNER_SEED)

    assert note.note_sign(GO_TEXT, key, "PeterNeumann") == GO_NOTE
    assert note.verifier_key_string("PeterNeumann", key.public_key()) == GO_VERIFIER_KEY


def test_opening_verifies_the_go_and_c2sp_examples():
    assert note.note_open(GO_NOTE, GO_VERIFIER_KEY) == GO_TEXT
    assert note.note_open(C2SP_NOTE, C2SP_VERIFIER_KEY) == "This is an example message.\n"


def test_a_checkpoint_is_four_lines_with_the_total_extension():
    assert TEXT == (
        "localhost:8080/campaigns/12\n3\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "total 2500 usd\n"
    )
    assert note.parse_checkpoint(TEXT) == Checkpoint(
        "localhost:8080/campaigns/12", 3, bytes(range(32)), 2500, "usd"
    )


def test_a_negative_total_is_written_with_a_minus():
    text = note.checkpoint_text(
        origin="o/campaigns/1", tree_size=1, root_hash=b"\0" * 32, total=-5, currency="eur"
    )

    assert text.endswith("\ntotal -5 eur\n")
    assert note.parse_checkpoint(text).total == -5


@pytest.mark.parametrize(
    "text",
    [
        TEXT[:-1],  # no final newline
        TEXT + "more\n",  # a second extension line
        TEXT.replace("\n3\n", "\n03\n"),
        TEXT.replace("\n3\n", "\n+3\n"),
        TEXT.replace("total 2500 usd", "total 02500 usd"),
        TEXT.replace("total 2500 usd", "total -0 usd"),
        TEXT.replace("total 2500 usd", "total 2500 USD"),
        TEXT.replace("total 2500 usd", "total  2500 usd"),
        TEXT.replace("total 2500 usd", "sum 2500 usd"),
        TEXT.replace(
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "AAECAwQFBgcICQoLDA0ODxAREhMU"
        ),
        TEXT.replace("=\n", "\n"),  # unpadded base64
        "\n" + TEXT[TEXT.index("\n") + 1 :],  # no origin
    ],
)
def test_other_checkpoint_forms_are_refused(text):
    with pytest.raises(NoteError):
        note.parse_checkpoint(text)


def test_a_signed_checkpoint_verifies():
    signed = note.note_sign(TEXT, KEY, NAME)

    assert signed.startswith(TEXT + "\n\u2014 localhost:8080/campaigns ")
    assert signed.endswith("=\n")
    assert note.note_verify(signed, VERIFIER_KEY) == note.parse_checkpoint(TEXT)


def test_the_verifier_key_names_its_key_id():
    raw = base64.b64decode(VERIFIER_KEY.split("+", 2)[2])

    name, key_id, public_key = note.verifier_key_parse(VERIFIER_KEY)

    assert (name, raw[:1]) == (NAME, b"\x01")
    assert key_id == note.key_id(NAME, raw[1:])
    assert VERIFIER_KEY.split("+")[1] == key_id.hex()
    assert note.verifier_key_string(name, public_key) == VERIFIER_KEY


def test_a_bad_signature_is_refused():
    signed = note.note_sign(TEXT, KEY, NAME)
    line = signed.rsplit("\n", 2)[1]
    raw = bytearray(base64.b64decode(line.rsplit(" ", 1)[1]))
    raw[10] ^= 1
    forged = signed.replace(line, f"{line.rsplit(' ', 1)[0]} {base64.b64encode(raw).decode()}")

    with pytest.raises(NoteError, match="invalid signature"):
        note.note_verify(forged, VERIFIER_KEY)


def test_a_changed_text_is_refused():
    signed = note.note_sign(TEXT, KEY, NAME)

    with pytest.raises(NoteError, match="invalid signature"):
        note.note_verify(signed.replace("total 2500", "total 2600"), VERIFIER_KEY)


def test_a_note_signed_by_another_key_is_refused():
    signed = note.note_sign(TEXT, OTHER_KEY, NAME)  # same name, other key: another key ID

    with pytest.raises(NoteError, match="no signature by key"):
        note.note_verify(signed, VERIFIER_KEY)


def test_signatures_by_other_keys_are_ignored():
    signed = note.note_add_signature(note.note_sign(TEXT, OTHER_KEY, "next"), KEY, NAME)

    assert note.note_verify(signed, VERIFIER_KEY).total == 2500
    assert note.note_verify(signed, note.verifier_key_string("next", OTHER_KEY.public_key()))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:-1],  # no final newline
        lambda s: s.replace("\n\n", "\n"),  # no empty line before the signatures
        lambda s: s.replace("\u2014 ", "- "),
        lambda s: s.replace("usd\n", "usd\t\n"),
        lambda s: s + "\n",
    ],
)
def test_malformed_notes_are_refused(mangle):
    with pytest.raises(NoteError):
        note.note_verify(mangle(note.note_sign(TEXT, KEY, NAME)), VERIFIER_KEY)


@pytest.mark.parametrize(
    "verifier_key",
    [
        VERIFIER_KEY.replace("+e", "+f", 1),  # wrong key ID
        VERIFIER_KEY + "AA",
        VERIFIER_KEY.replace("localhost", "local host"),
        "just-a-name",
    ],
)
def test_malformed_verifier_keys_are_refused(verifier_key):
    with pytest.raises(NoteError):
        note.verifier_key_parse(verifier_key)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://localhost:8080", "localhost:8080"),
        ("http://LocalHost:8080/", "localhost:8080"),
        ("https://give.example.org", "give.example.org"),
        ("https://give.example.org:443/base", "give.example.org"),
        ("http://give.example.org:80", "give.example.org"),
        ("https://give.example.org:8443", "give.example.org:8443"),
        ("http://[::1]:8080", "[::1]:8080"),
    ],
)
def test_origins_name_the_public_host(url, host):
    assert note.origin_host(url) == host
    assert note.checkpoint_origin(url, 12) == f"{host}/campaigns/12"


def test_private_keys_load_from_pem_or_a_raw_seed(tmp_path):
    pem = KEY.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    (tmp_path / "key.pem").write_bytes(pem)
    (tmp_path / "key.seed").write_bytes(bytes(range(32)))
    (tmp_path / "bad").write_bytes(bytes(31))

    for path in (tmp_path / "key.pem", tmp_path / "key.seed"):
        loaded = note.private_key_load(path)
        assert note.verifier_key_string(NAME, loaded.public_key()) == VERIFIER_KEY
    with pytest.raises(ValueError, match="neither a PEM"):
        note.private_key_load(tmp_path / "bad")
