from pixlake._text import count_is, counted


def test_counts_agree_with_their_nouns_and_verbs() -> None:
    assert counted(1, "tag") == "1 tag"
    assert counted(0, "tag") == "0 tags"
    assert counted(2, "tag") == "2 tags"
    assert counted(2, "match", "matches") == "2 matches"
    assert count_is(1, "other image") == "1 other image is"
    assert count_is(3, "other image") == "3 other images are"
