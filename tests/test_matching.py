"""Title matching: near-identical titles with a shared author and a fitting year, nothing less."""

from __future__ import annotations

import pytest

from pubtrack.identity import (
    author_overlap,
    is_confident_match,
    normalize_title,
    title_similarity,
)

MB = "Model Balancing Helps Low-data Training and Fine-tuning"


def test_normalize_title_ignores_case_accents_punctuation_and_braces():
    assert normalize_title("{EnsembleMOT}: A Step  towards Ensemble Learning") == (
        "ensemblemot a step towards ensemble learning"
    )
    assert normalize_title("Über Räume, \\emph{fast}!") == "uber raume fast"
    assert normalize_title(None) == ""


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (MB, "Model balancing helps low-data training and fine-tuning."),
        (MB, "MODEL BALANCING HELPS LOW DATA TRAINING AND FINE TUNING"),
        (
            "{EnsembleMOT}: A Step towards Ensemble Learning",
            "EnsembleMOT: a step towards ensemble learning",
        ),
        (
            "Deep Residual Learning for Image Recognition",
            "Deep residual learning for image recognitions",
        ),
    ],
)
def test_same_title_spelled_differently_is_similar(a, b):
    assert title_similarity(a, b) >= 0.9


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Language models are few-shot learners", "Language models are zero-shot learners"),
        ("Attention is all you need", "Attention is all you need for vision transformers"),
        (MB, "Model Balancing Helps Low-data Training"),
        ("Graph Neural Networks", "Neural Graph Networks for Molecules"),
        (MB, ""),
    ],
)
def test_different_papers_are_not_similar_enough(a, b):
    assert title_similarity(a, b) < 0.9


def test_author_overlap_by_surname_and_compatible_initial():
    ours = ["Liu, Zihang", "Hu, Yuanzhe", "Yaoqing Yang"]
    assert author_overlap(ours, ["Z. Liu", "Tianyu Pang"]) == 1
    assert author_overlap(ours, ["Zihang Liu", "Yuanzhe Hu", "Y. Yang"]) == 3
    assert author_overlap(ours, ["Q. Liu"]) == 0  # same surname, other person
    assert author_overlap(ours, ["Liu"]) == 1  # no initial to contradict
    assert author_overlap(["José Raúl Romero"], ["Jose Raul Romero"]) == 1
    assert author_overlap([], ["A B"]) == 0


def test_confident_match_needs_title_authors_and_year():
    ok, reason = is_confident_match(MB, ["Zihang Liu"], 2024, MB.lower(), ["Z. Liu"], 2025)
    assert ok and "authors and year agree" in reason
    ok, reason = is_confident_match(MB, ["Zihang Liu"], 2024, MB, ["Somebody Else"], 2024)
    assert not ok and reason == "no author in common"
    ok, reason = is_confident_match(MB, ["Zihang Liu"], 2024, MB, ["Zihang Liu"], 2021)
    assert not ok and "year 2021 does not fit 2024" in reason
    ok, reason = is_confident_match(
        MB, ["Zihang Liu"], 2024, "Model Balancing", ["Zihang Liu"], 2024
    )
    assert not ok and reason.startswith("title similarity")
    ok, reason = is_confident_match(MB, [], 2024, MB, ["Zihang Liu"], 2024)
    assert not ok and "no authors" in reason


def test_unknown_year_does_not_block_a_match():
    assert is_confident_match(MB, ["Zihang Liu"], None, MB, ["Zihang Liu"], 2024)[0]
    assert is_confident_match(MB, ["Zihang Liu"], 2024, MB, ["Zihang Liu"], None)[0]
