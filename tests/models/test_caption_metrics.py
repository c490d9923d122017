"""Caption scores: CIDEr-D and ROUGE-L as pycocoevalcap computes them, BLEU-4, exact match, normalization."""

import math

import pytest

from models.tasks.captioning.metrics import bleu_4, caption_scores, cider_d, exact_match, normalize_caption, rouge_l

# Four images with one to three references: a perfect hypothesis, a partial one, an empty one and one word.
HYPOTHESES = ["a man riding a horse on a beach", "a dog sitting on a red couch", "", "cat"]
REFERENCES = [["a man riding a horse on a beach", "a person rides a horse along the shore"],
              ["a brown dog lying on a couch", "a dog sits on the sofa", "a small dog resting on a red sofa"],
              ["two people playing frisbee in a park"],
              ["a cat sleeping on a laptop", "a cat lying on a keyboard"]]
# Computed on these captions with pycocoevalcap 1.2's Cider().compute_score and Rouge().compute_score.
COCO_CIDER_D, COCO_ROUGE_L = 2.0258175204715143, 0.4918494368701838


def test_cider_d_and_rouge_l_match_pycocoevalcap():
    assert cider_d(HYPOTHESES, REFERENCES) == pytest.approx(COCO_CIDER_D, abs=1e-6)
    assert rouge_l(HYPOTHESES, REFERENCES) == pytest.approx(COCO_ROUGE_L, abs=1e-6)


def test_caption_scores_normalize_raw_captions_before_scoring():
    raw_hypotheses = ["A man riding a horse on a beach.", b"A dog sitting on a red couch!", " ", "Cat"]
    raw_references = [[r.capitalize() + "." for r in refs] for refs in REFERENCES]
    scores = caption_scores(raw_hypotheses, raw_references)
    assert scores["cider_d"] == pytest.approx(COCO_CIDER_D, abs=1e-6)
    assert scores["rouge_l"] == pytest.approx(COCO_ROUGE_L, abs=1e-6)
    assert scores["exact_match"] == 0.25 and 0 < scores["bleu_4"] < 100


def test_bleu_4_of_perfect_hypotheses_with_ragged_references_is_100():
    hypotheses = ["a man riding a horse on a beach", "a small dog resting on a red sofa"]
    assert bleu_4(hypotheses, [REFERENCES[0][:1], REFERENCES[1]]) == pytest.approx(100.0)
    assert bleu_4(hypotheses, [REFERENCES[0], REFERENCES[1][:1]]) < 100  # the matching reference left out


def test_exact_match_counts_any_reference():
    assert exact_match(["a dog sits on the sofa", "a cat"], [REFERENCES[1], ["a cat", "the cat"]]) == 1.0
    assert exact_match(["a dog on the sofa"], [REFERENCES[1]]) == 0.0


def test_caption_scores_check_their_inputs():
    with pytest.raises(ValueError, match="2 generated captions for 1 images"):
        caption_scores(["a dog", "a cat"], [["a dog"]])
    with pytest.raises(ValueError, match="at least one reference"):
        caption_scores(["a dog"], [[]])
    assert all(math.isnan(value) for value in caption_scores([], []).values())
    assert caption_scores(["a dog"], ["A dog."])["exact_match"] == 1.0  # a lone string is the only reference


def test_normalize_caption_folds_case_and_punctuation():
    assert normalize_caption("  A Dog, on the GRASS... ") == "a dog on the grass"
    assert normalize_caption("A black-and-white dog's toy!", lowercase=False) == "A black and white dog s toy"
    assert normalize_caption("two\n dogs\t(playing)".encode()) == "two dogs playing"
