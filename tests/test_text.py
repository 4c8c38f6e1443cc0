from pixlake._text import are, counted


def test_counts_agree_with_their_nouns() -> None:
    assert counted(1, "tag") == "1 tag"
    assert counted(0, "tag") == "0 tags"
    assert counted(2, "tag") == "2 tags"
    assert counted(3, "other image") == "3 other images"
    assert counted(2, "match", "matches") == "2 matches"
    assert (are(1), are(0), are(2)) == ("is", "are", "are")
