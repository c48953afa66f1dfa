"""The offline heuristic extractor on small papers written for these tests.

Every sentence below is invented for the tests; none comes from a real paper.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screener.design import Design, Identification, OutcomeKind, ProxyKind, Strategy
from screener.document import Caption, Document, Paragraph, Section
from screener.extract import get_extractor
from screener.extract.heuristic import (
    HeuristicExtractor,
    is_vague,
    negated_at,
    proxy_for,
    split_sentences,
    trim_quote,
)

# Generic experiment language: makes a document read as an empirical ML paper without
# naming any particular design.
FILLER = (
    "All networks share a decoder-only transformer with learned embeddings. "
    "Table 2 reports accuracy on the held-out test set for every configuration. "
    "We evaluate on five benchmarks covering reading comprehension and arithmetic. "
    "The baseline uses the default tokenizer and the standard optimiser. "
    "Our experiments use a batch size of 256 sequences of 2048 tokens. "
    "Validation loss is logged every 500 steps. "
    "Perplexity is computed on a held-out split of the training data. "
    "The language model is pre-trained with a cosine learning-rate schedule. "
    "Results on the benchmarks are shown in Figure 3. "
    "Throughput is measured on a single accelerator. "
    "Each benchmark is scored with exact match accuracy. "
    "Checkpoints are saved at the end of every epoch. "
    "The datasets are split into training and test portions. "
    "We report the mean over all benchmarks in the last column. "
    "Each self-attention layer has sixteen attention heads. "
    "The transformer blocks use rotary position embeddings."
)


def paper(
    *,
    title: str,
    abstract: str,
    intro: str = "",
    body: str = "",
    extra: tuple[tuple[str, str, int], ...] = (),
    filler: bool = True,
) -> Document:
    """A small in-memory paper: title and abstract on page 1, introduction page 2, body page 4."""
    sections = []
    if intro:
        sections.append(
            Section(heading="Introduction", number="1", paragraphs=(Paragraph(text=intro, page=2),))
        )
    experiments = [Paragraph(text=FILLER, page=3)] if filler else []
    if body:
        experiments.append(Paragraph(text=body, page=4))
    if experiments:
        sections.append(Section(heading="Experiments", number="3", paragraphs=tuple(experiments)))
    for heading, text, page in extra:
        sections.append(Section(heading=heading, paragraphs=(Paragraph(text=text, page=page),)))
    return Document(
        source="memory.pdf",
        sha256="0" * 64,
        parser="test",
        title=title,
        abstract=abstract,
        abstract_page=1,
        sections=tuple(sections),
        pages=6,
    )


EXTRACTOR = HeuristicExtractor()

# One paper per strategy: (strategy, document, a sentence that must be quoted, its page).
STRATEGY_CASES: dict[str, tuple[Strategy, Document, str, int]] = {
    "proxy_model": (
        Strategy.PROXY_MODEL,
        paper(
            title="Scaling Laws for the Loss of Small Networks",
            abstract="We fit scaling laws to a ladder of small models and extrapolate the "
            "fitted curve to larger scales.",
            body="We train models from 20M to 400M parameters and fit a power law to their "
            "validation loss.",
        ),
        "We fit scaling laws to a ladder of small models and extrapolate the fitted curve to "
        "larger scales.",
        1,
    ),
    "proxy_treatment": (
        Strategy.PROXY_TREATMENT,
        paper(
            title="How Poisoned Documents Change a Language Model",
            abstract="To emulate exposure during pre-training, we continue pre-training from "
            "an intermediate "
            "checkpoint on the poisoned documents.",
            intro="Fine-tuning on the poisoned documents serves as a proxy for pre-training on "
            "them.",
            body="The fine-tuning run lasts for several epochs over the poisoned documents.",
        ),
        "To emulate exposure during pre-training, we continue pre-training from an "
        "intermediate checkpoint "
        "on the poisoned documents.",
        1,
    ),
    "proxy_outcome": (
        Strategy.PROXY_OUTCOME,
        paper(
            title="An LLM Judge for Open-Ended Answers",
            abstract="We use LLM-as-a-judge scoring of open-ended answers in place of human "
            "raters.",
            intro="An LLM judge compares two answers and picks the better one.",
            body="The judge's agreement with human annotators is 81 percent on the shared items.",
        ),
        "We use LLM-as-a-judge scoring of open-ended answers in place of human raters.",
        1,
    ),
    "observational": (
        Strategy.OBSERVATIONAL,
        paper(
            title="What Drives Benchmark Gains Among Released Models",
            abstract="We analyse 42 open-weight models from a public leaderboard and regress "
            "their benchmark "
            "accuracy on training compute.",
            intro="The sample spans several model families released over three years.",
            body="We correlate benchmark accuracy with training compute and release date.",
        ),
        "We analyse 42 open-weight models from a public leaderboard and regress their "
        "benchmark accuracy on "
        "training compute.",
        1,
    ),
    "within_run": (
        Strategy.WITHIN_RUN,
        paper(
            title="Memorisation Inside One Training Run",
            abstract="We compare seen and unseen documents from a single training run with a "
            "difference-in-differences design.",
            body="Treated documents appear once in the corpus, while control documents stay "
            "held out.",
        ),
        "We compare seen and unseen documents from a single training run with a "
        "difference-in-differences design.",
        1,
    ),
    "theoretical_control": (
        Strategy.THEORETICAL_CONTROL,
        paper(
            title="Which Training Examples Shape a Prediction",
            abstract="We estimate the contribution of each training example with influence "
            "functions.",
            intro="Random canaries inserted into the corpus provide an analytic null "
            "distribution for the audit.",
            body="Influence scores are compared with leave-one-out retraining on a small subset.",
        ),
        "We estimate the contribution of each training example with influence functions.",
        1,
    ),
    "target_experiment": (
        Strategy.TARGET_EXPERIMENT,
        paper(
            title="Does the Normalisation Layer Matter",
            abstract="We ablate the normalisation layer under the same training setup at the "
            "full model size.",
            body="We compare pre-norm and post-norm blocks in controlled experiments.",
        ),
        "We ablate the normalisation layer under the same training setup at the full model size.",
        1,
    ),
}


def out_of_scope_documents() -> dict[str, Document]:
    crypto = paper(
        title="A Compact Public-Key Cryptosystem",
        abstract="We describe a public-key cryptosystem whose security rests on a hard lattice "
        "problem.",
        body=(
            "Encryption takes one polynomial multiplication. Decryption recovers the message "
            "when the noise is "
            "small. Theorem 1 bounds the decryption failure probability. The ciphertext is "
            "twice the message "
            "length. A chosen-ciphertext attack is ruled out by Lemma 2. The secret key is a "
            "short polynomial."
        ),
        filler=False,
    )
    survey = paper(
        title="A Survey of Efficient Sequence Models",
        abstract="This survey organises recent work on efficient transformers and language models.",
        intro="We review attention approximations, recurrent layers and state space layers.",
        body="Table 1 lists the benchmarks that papers in each family report.",
    )
    theory = paper(
        title="Convergence of Gradient Descent for Wide Two-Layer Networks",
        abstract="We prove that gradient descent on wide two-layer neural networks converges "
        "to a global minimum.",
        body=(
            "Theorem 1 states the rate. Lemma 2 controls the kernel drift. The proof of "
            "Theorem 1 combines both "
            "lemmas. Corollary 3 extends the result to deeper networks. Proposition 4 gives a "
            "lower bound. "
            "The proof of Lemma 2 is in the appendix. Lemma 5 bounds the norm of the weights. "
            "Theorem 6 covers the stochastic case. The proof uses a martingale argument."
        ),
        filler=False,
    )
    return {"crypto": crypto, "survey": survey, "theory": theory}


def all_test_documents() -> list[Document]:
    docs = [case[1] for case in STRATEGY_CASES.values()]
    docs += list(out_of_scope_documents().values())
    docs.append(document_with_seeds())
    docs.append(
        Document(source="empty.pdf", sha256="0" * 64, parser="test", title="Notes", pages=1)
    )
    return docs


def document_with_seeds() -> Document:
    return paper(
        title="Does the Normalisation Layer Matter",
        abstract="We ablate the normalisation layer under the same training setup at the full "
        "model size.",
        body="Every result is averaged over five random seeds, and error bars show one "
        "standard deviation.",
    )


def page_of(document: Document, quote: str) -> set[int | None]:
    return {page for _, text, page in document.passages() if quote in text}


@pytest.mark.parametrize("case", sorted(STRATEGY_CASES))
def test_each_strategy_is_detected_with_a_verbatim_quote(case: str) -> None:
    strategy, document, sentence, page = STRATEGY_CASES[case]
    design = EXTRACTOR.extract(document)
    assert design.in_scope.value is True
    uses = {use.strategy: use for use in design.strategies}
    assert strategy in uses, f"{strategy} not found; notes: {design.notes}"
    quotes = [(e.quote, e.page) for e in uses[strategy].evidence]
    assert (sentence, page) in quotes
    assert 0.0 < uses[strategy].confidence <= 1.0


def test_proxy_designs_fill_proxies_and_validation() -> None:
    design = EXTRACTOR.extract(STRATEGY_CASES["proxy_outcome"][1])
    assert [p.kind for p in design.proxies] == [ProxyKind.OUTCOME]
    assert design.primary_strategy == Strategy.PROXY_OUTCOME
    assert design.target_validation.value is True
    assert any(
        "agreement with human annotators" in e.quote for e in design.target_validation.evidence
    )


def test_proxy_model_without_validation_says_so() -> None:
    design = EXTRACTOR.extract(STRATEGY_CASES["proxy_model"][1])
    assert design.primary_strategy == Strategy.PROXY_MODEL
    assert design.target_validation.value is False
    assert design.target_validation.evidence == []
    assert design.target_validation.note


def test_prediction_checked_at_scale_is_target_validation() -> None:
    _, base, _, _ = STRATEGY_CASES["proxy_model"]
    document = paper(
        title=base.title or "",
        abstract=base.abstract or "",
        body="We then train a 7B model, and the loss it reaches agrees with the fitted prediction.",
    )
    design = EXTRACTOR.extract(document)
    assert design.target_validation.value is True
    assert design.target_validation.evidence[0].quote == (
        "We then train a 7B model, and the loss it reaches agrees with the fitted prediction."
    )


def test_observational_counts_models_and_reads_as_association() -> None:
    design = EXTRACTOR.extract(STRATEGY_CASES["observational"][1])
    assert design.n_models.value == 42
    assert Identification.ASSOCIATION in design.identification_names()
    assert design.published_models.value is True
    assert design.pooled_families.value is True


def test_within_run_and_theoretical_details() -> None:
    within = EXTRACTOR.extract(STRATEGY_CASES["within_run"][1])
    assert Identification.DID in within.identification_names()
    theory = EXTRACTOR.extract(STRATEGY_CASES["theoretical_control"][1])
    assert Identification.ANALYTICAL in theory.identification_names()
    assert theory.attribution_approximation.value is True
    assert theory.loo_validated.value is True
    assert theory.canaries_injected.value is True


def test_proxy_treatment_kind_is_detected() -> None:
    design = EXTRACTOR.extract(STRATEGY_CASES["proxy_treatment"][1])
    assert design.treatment_proxy_kind.value is not None
    assert design.treatment_proxy_kind.evidence


@pytest.mark.parametrize("name", ["crypto", "survey", "theory"])
def test_out_of_scope_papers(name: str) -> None:
    design = EXTRACTOR.extract(out_of_scope_documents()[name])
    assert design.in_scope.value is False
    assert design.strategies == []
    assert design.primary_strategy is None
    assert design.scope_reason


def test_repeated_runs_true_with_seeds() -> None:
    design = EXTRACTOR.extract(document_with_seeds())
    assert design.repeated_runs.value is True
    assert design.repeated_runs.evidence[0].page == 4


def test_repeated_runs_false_without_any_cue() -> None:
    design = EXTRACTOR.extract(STRATEGY_CASES["target_experiment"][1])
    assert design.repeated_runs.value is False
    assert design.repeated_runs.evidence == []
    assert "no cue" in (design.repeated_runs.note or "")
    assert design.repeated_runs.confidence < 0.5


def test_empty_document_detects_nothing() -> None:
    document = Document(source="empty.pdf", sha256="0" * 64, parser="test", title="Notes", pages=1)
    design = EXTRACTOR.extract(document)
    assert design.in_scope.value is False
    assert design.strategies == []
    assert design.treatment.value is None
    assert design.outcome.value is None
    assert design.n_models.value is None
    assert design.claims_beyond_scale.value is None


def test_treatment_outcome_and_question() -> None:
    document = paper(
        title="Tokenizer Size and Arithmetic",
        abstract="We study the effect of vocabulary size on arithmetic accuracy in small "
        "transformers.",
        body="We ablate the vocabulary size under the same training setup.",
    )
    design = EXTRACTOR.extract(document)
    assert design.treatment.value == "vocabulary size"
    assert design.outcome.value == "arithmetic accuracy"
    assert design.outcome_kind.value == OutcomeKind.DOWNSTREAM
    assert design.research_question and design.research_question.startswith(
        "effect of vocabulary size on"
    )


def test_every_quote_is_verbatim_and_on_its_page() -> None:
    for document in all_test_documents():
        design = EXTRACTOR.extract(document)
        text = document.text()
        for item in design.all_evidence():
            assert item.quote in text
            assert len(item.quote) <= 400
            assert item.page in page_of(document, item.quote)
        for name in (
            "in_scope",
            "treatment",
            "outcome",
            "target_recipe",
            "repeated_runs",
            "n_models",
        ):
            claim = getattr(design, name)
            assert 0.0 <= claim.confidence <= 1.0
            if claim.value is None:
                assert not claim.evidence


def test_every_extracted_value_has_evidence_except_explicit_negatives() -> None:
    for document in all_test_documents():
        design = EXTRACTOR.extract(document)
        for use in design.strategies:
            if use.confidence > 0.3:
                assert use.evidence
        for name in ("treatment", "outcome", "target_recipe", "n_models", "outcome_kind"):
            claim = getattr(design, name)
            if claim.value is not None:
                assert claim.evidence, name


def test_sentence_splitting_keeps_abbreviations_and_decimals() -> None:
    text = (
        "We follow Smith et al. (2020) and use, e.g. a rate of 0.5 as in Fig. 3 of the appendix. "
        "The next sentence starts here! Does a question end one? Yes. Accuracy rises to 85.3. "
        "A year can end one too, as in 2020. Then this follows."
    )
    assert split_sentences(text) == [
        "We follow Smith et al. (2020) and use, e.g. a rate of 0.5 as in Fig. 3 of the appendix.",
        "The next sentence starts here!",
        "Does a question end one?",
        "Yes.",
        "Accuracy rises to 85.3.",
        "A year can end one too, as in 2020.",
        "Then this follows.",
    ]


def test_long_quotes_are_trimmed_verbatim() -> None:
    sentence = "word " * 200
    trimmed = trim_quote(sentence)
    assert len(trimmed) <= 400
    assert sentence.startswith(trimmed)


def test_related_work_is_discounted() -> None:
    document = paper(
        title="Does the Normalisation Layer Matter",
        abstract="We ablate the normalisation layer under the same training setup at the full "
        "model size.",
        extra=(
            (
                "Related Work",
                "Earlier studies fit scaling laws to small models. Others extrapolate power "
                "laws to larger "
                "scales. Proxy models are common in this line of work.",
                5,
            ),
        ),
    )
    design = EXTRACTOR.extract(document)
    assert Strategy.PROXY_MODEL not in design.strategy_names()


def test_registry_builds_the_extractor() -> None:
    extractor = get_extractor("heuristic", object())
    assert extractor.name == "heuristic"
    assert isinstance(extractor.extract(STRATEGY_CASES["target_experiment"][1]), Design)


@pytest.mark.corpus
def test_every_corpus_pdf_extracts(corpus: Path) -> None:
    parser_module = pytest.importorskip("screener.parse.pymupdf")
    from screener.errors import InputError
    from screener.settings import load_settings

    parser = parser_module.PyMuPDFParser.from_settings(load_settings())
    extracted = 0
    for pdf in sorted((corpus / "pdfs").glob("*.pdf")):
        try:
            document = parser.parse(pdf)
        except InputError:
            continue  # the parser's own failure, reported by its tests
        design = EXTRACTOR.extract(document)
        extracted += 1
        text = document.text()
        for item in design.all_evidence():
            assert item.quote in text, pdf.name
        assert design.in_scope.value is not None
    assert extracted > 0


# --- negation, proxy ablations, proxy phrases, vague phrases ---------------------------------


def test_single_seed_and_no_error_bars_mean_no_repeated_runs() -> None:
    sentence = (
        "To save compute, every variant is trained once with one random seed, and the tables "
        "give point estimates with no error bars."
    )
    document = paper(
        title="Does the Normalisation Layer Matter",
        abstract="We ablate the normalisation layer under the same training setup at the full "
        "model size.",
        body=sentence,
    )
    design = EXTRACTOR.extract(document)
    assert design.repeated_runs.value is False
    assert sentence in [e.quote for e in design.repeated_runs.evidence]
    # An explicit statement is surer than the silent default (0.4).
    assert design.repeated_runs.confidence > 0.5


def test_a_negated_uncertainty_cue_is_not_positive() -> None:
    sentence = (
        "The reported scores are not averaged over several seeds, and we plot them without "
        "confidence intervals."
    )
    document = paper(
        title="Does the Normalisation Layer Matter",
        abstract="We ablate the normalisation layer under the same training setup at the full "
        "model size.",
        body=sentence,
    )
    design = EXTRACTOR.extract(document)
    assert design.repeated_runs.value is False
    assert design.repeated_runs.evidence[0].quote == sentence


def test_negation_stays_inside_its_clause_and_tests_count_even_when_not_significant() -> None:
    document = paper(
        title="Does the Normalisation Layer Matter",
        abstract="We ablate the normalisation layer under the same training setup at the full "
        "model size.",
        body="We could not afford a larger sweep, but each comparison is averaged over three "
        "seeds. The gap between the two blocks is not statistically significant.",
    )
    design = EXTRACTOR.extract(document)
    assert design.repeated_runs.value is True


def test_negated_at_reads_the_clause_before_and_after() -> None:
    text = "Points are shown without any error bars, while the 1B run has error bars."
    first = text.index("error bars")
    second = text.rindex("error bars")
    assert negated_at(text, first, first + 10)
    assert not negated_at(text, second, second + 10)
    passive = "Confidence intervals are not reported for the largest runs."
    assert negated_at(passive, 0, len("Confidence intervals"))
    assert not negated_at("This is not only averaged over seeds.", 20, 28)
    # A denied result is not a denied measurement.
    result = "We find no difference across five random seeds."
    assert not negated_at(result, result.index("across"), len(result) - 1)


def test_target_scale_not_trained_is_target_validation_false_with_evidence() -> None:
    _, base, _, _ = STRATEGY_CASES["proxy_model"]
    sentence = "We did not train a 30B network to check the forecast of the fitted curve."
    document = paper(title=base.title or "", abstract=base.abstract or "", body=sentence)
    design = EXTRACTOR.extract(document)
    assert design.target_validation.value is False
    assert [e.quote for e in design.target_validation.evidence] == [sentence]
    assert design.target_validation.confidence > 0.35


def test_negated_detail_cue_is_false_with_evidence() -> None:
    _, base, _, _ = STRATEGY_CASES["theoretical_control"]
    sentence = "We do not compare the scores with leave-one-out retraining, which is too costly."
    document = paper(title=base.title or "", abstract=base.abstract or "", body=sentence)
    design = EXTRACTOR.extract(document)
    assert design.loo_validated.value is False
    assert design.loo_validated.evidence[0].quote == sentence


def small_model_ablation() -> Document:
    return paper(
        title="Tokenizer Ablations on Tiny Transformers, Extrapolated to 13B",
        abstract="We ablate the vocabulary size on small models with 30M, 90M and 300M "
        "parameters, fit a power law per vocabulary, and extrapolate the fitted laws to a "
        "13B model. Held-out perplexity on a legal corpus serves as a proxy for accuracy on "
        "contract question answering, since small models score near chance there.",
        intro="Training a 13B model for every vocabulary is unaffordable, so the controlled "
        "ablation runs on cheaper proxy models and the scaling law carries it upward.",
        body="Each vocabulary is compared under the same training setup at every size.",
    )


def test_ablations_on_small_models_are_proxy_model_evidence() -> None:
    design = EXTRACTOR.extract(small_model_ablation())
    assert design.primary_strategy == Strategy.PROXY_MODEL
    assert Strategy.TARGET_EXPERIMENT not in design.strategy_names()


def test_proxy_phrases_are_short_noun_phrases() -> None:
    design = EXTRACTOR.extract(small_model_ablation())
    assert design.target_recipe.value == "a 13B model"
    by_kind = {p.kind: p for p in design.proxies}
    assert by_kind[ProxyKind.MODEL].proxy == "models of 30M to 300M parameters"
    assert by_kind[ProxyKind.MODEL].target == "a 13B model"
    assert by_kind[ProxyKind.OUTCOME].proxy == "held-out perplexity on a legal corpus"
    assert by_kind[ProxyKind.OUTCOME].target == "accuracy on contract question answering"


def test_controlled_comparison_at_scale_stays_primary_beside_a_fitted_curve() -> None:
    document = paper(
        title="Two Optimisers Compared",
        abstract="We compare two optimisers in controlled experiments under the same training "
        "setup, and ablate their warmup length.",
        intro="We ablate the weight decay as well and compare the optimisers at the full size.",
        body="An appendix-style side study fits a scaling law to a ladder of smaller models and "
        "extrapolates it to larger scales. The fitted power law tracks the small runs.",
    )
    design = EXTRACTOR.extract(document)
    assert design.primary_strategy == Strategy.TARGET_EXPERIMENT


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Perplexity on a held-out news corpus serves as a stand-in for summarisation "
            "quality, because human ratings are costly.",
            ("perplexity on a held-out news corpus", "summarisation quality"),
        ),
        (
            "We rely on this rubric score in place of ratings by expert annotators such as "
            "lawyers.",
            ("rubric score", "ratings by expert annotators"),
        ),
        (
            "A small judge model is a cheap way to approximate crowd preferences.",
            ("a small judge model", "crowd preferences"),
        ),
    ],
)
def test_proxy_for_parses_what_stands_in_for_what(sentence: str, expected: tuple[str, str]) -> None:
    assert proxy_for(sentence) == expected


def test_vague_proposals_are_not_treatments_but_names_are() -> None:
    vague = paper(
        title="Better Long Inputs Are Possible",
        abstract="We propose a novel and efficient approach that handles long inputs.",
        body="We ablate the chunk size under the same training setup.",
    )
    design = EXTRACTOR.extract(vague)
    assert design.treatment.value is None
    assert design.treatment.note and "not detected" in design.treatment.note
    named = paper(
        title="Better Long Inputs Are Possible",
        abstract="We introduce a new method called Sparse Echo Routing, which skips idle tokens.",
        body="We ablate the chunk size under the same training setup.",
    )
    assert EXTRACTOR.extract(named).treatment.value == "Sparse Echo Routing"
    appositive = paper(
        title="Better Long Inputs Are Possible",
        abstract="We present a simple approach, Folded Window Attention (FWA), that reuses "
        "cached keys.",
        body="We ablate the chunk size under the same training setup.",
    )
    assert EXTRACTOR.extract(appositive).treatment.value == "Folded Window Attention"
    titled = paper(
        title="Lumen: Cheaper Attention for Long Inputs",
        abstract="Attention over long inputs is costly in memory.",
        body="We ablate the chunk size under the same training setup.",
    )
    assert EXTRACTOR.extract(titled).treatment.value == "Lumen"
    assert is_vague("a simple yet effective framework")
    assert not is_vague("a sparse attention mechanism")


# --- repeated runs: the main comparisons, not side experiments --------------------------------

NORM_TITLE = "Does the Normalisation Layer Matter"
NORM_ABSTRACT = (
    "We ablate the normalisation layer under the same training setup at the full model size."
)


def norm_paper(body: str = "", extra: tuple[tuple[str, str, int], ...] = ()) -> Document:
    return paper(title=NORM_TITLE, abstract=NORM_ABSTRACT, body=body, extra=extra)


@pytest.mark.parametrize(
    "extra",
    [
        (
            (
                "Additional Experiments",
                "Every curve of the warm-up sweep is averaged over five random seeds, and the "
                "error bars show one standard deviation across seeds.",
                6,
            ),
        ),
        (
            ("References", "A. Writer. A made-up reference. 2031.", 5),
            (
                "Warm-up Sweep",
                "We train each warm-up length with three seeds and report the mean and "
                "standard deviation over seeds.",
                6,
            ),
        ),
    ],
    ids=["appendix-heading", "after-references"],
)
def test_seeds_only_in_the_appendix_are_not_repeated_main_runs(
    extra: tuple[tuple[str, str, int], ...],
) -> None:
    design = EXTRACTOR.extract(norm_paper(body="Table 2 compares the two layers.", extra=extra))
    assert design.repeated_runs.value is False
    assert design.repeated_runs.evidence == []


def test_main_results_with_mean_and_std_over_seeds_are_repeated_runs() -> None:
    sentence = (
        "For every configuration in Table 2 we report the mean and standard deviation over "
        "three seeds."
    )
    design = EXTRACTOR.extract(norm_paper(body=sentence))
    assert design.repeated_runs.value is True
    assert design.repeated_runs.evidence[0].quote == sentence


def test_a_main_table_caption_with_spread_over_seeds_is_repeated_runs() -> None:
    document = norm_paper(body="Table 2 compares the two layers.").model_copy(
        update={
            "captions": (
                Caption(
                    kind="table",
                    label="Table 2",
                    text="Table 2: Test accuracy, mean \u00b1 standard deviation over four seeds.",
                    page=4,
                ),
            )
        }
    )
    assert EXTRACTOR.extract(document).repeated_runs.value is True


@pytest.mark.parametrize(
    "sentence",
    [
        "For reproducibility we fix the random seed to 0 in all experiments.",
        "We fix the random seeds of every library before training.",
    ],
)
def test_fixing_the_seed_is_not_a_repeated_runs_cue(sentence: str) -> None:
    design = EXTRACTOR.extract(norm_paper(body=sentence))
    assert design.repeated_runs.value is False
    assert design.repeated_runs.evidence == []


def test_one_local_mention_in_a_side_experiment_is_not_enough() -> None:
    body = (
        "Table 2 compares the two layers on the five benchmarks. "
        "In Figure 7, the toy copying task is shown for three widths, averaged over three seeds."
    )
    design = EXTRACTOR.extract(norm_paper(body=body))
    assert design.repeated_runs.value is False
    assert "passing" in (design.repeated_runs.note or "")


@pytest.mark.parametrize(
    "sentence",
    [
        # p-values of an association and of rater agreement, not of the main comparison.
        "The judge scores correlate with the rater scores (Spearman rho = 0.7, p < 0.01).",
        "Inter-annotator agreement was moderate (Fleiss kappa = 0.5, p < 0.01).",
        # A timing benchmark repeated on the hardware, not a repeated training run.
        "Throughput is averaged over 20 runs on four GPUs.",
        # A description of the data.
        "The standard deviation of the document lengths is 310 tokens.",
    ],
)
def test_incidental_statistics_are_not_repeated_runs(sentence: str) -> None:
    design = EXTRACTOR.extract(norm_paper(body=sentence))
    assert design.repeated_runs.value is False
    assert design.repeated_runs.evidence == []


# --- codebook v2: rare designs, headline strategies, silence about seeds -----------------------


def uses_of(design: Design) -> dict[Strategy, bool | None]:
    """Each listed strategy and whether the extractor says a headline claim rests on it."""
    return {use.strategy: use.headline for use in design.strategies}


def test_units_seen_in_training_against_later_ones_are_a_within_run_design() -> None:
    document = paper(
        title="Do Models Remember Their Benchmarks",
        abstract="We compare accuracy on datasets seen during training with accuracy on "
        "datasets released after the training cutoff of each model.",
        intro="Datasets included in the pre-training corpus are answered far better than "
        "later ones, which points to memorization.",
        body="We ablate the prompt template under the same setup for every dataset.",
    )
    design = EXTRACTOR.extract(document)
    assert design.primary_strategy == Strategy.WITHIN_RUN
    assert uses_of(design)[Strategy.WITHIN_RUN] is True


def test_simulated_contamination_answers_the_contamination_question() -> None:
    document = paper(
        title="Detecting Benchmark Contamination",
        abstract="We propose a detector of benchmark contamination in language models.",
        intro="Contamination inflates reported scores.",
        body="We simulate data contamination by fine-tuning each model on the test items. "
        "The simulated contamination uses two learning rates.",
    )
    design = EXTRACTOR.extract(document)
    assert Strategy.PROXY_TREATMENT in uses_of(design)
    assert design.primary_strategy == Strategy.PROXY_TREATMENT
    # Without the cheaper exposure in the body, the question alone names no design.
    question_only = paper(
        title="Detecting Benchmark Contamination",
        abstract="We propose a detector of benchmark contamination in language models.",
        intro="Contamination inflates reported scores.",
    )
    assert Strategy.PROXY_TREATMENT not in uses_of(EXTRACTOR.extract(question_only))


def test_a_metric_validated_against_task_performance_is_a_proxy_outcome_paper() -> None:
    document = paper(
        title="Ranking Models by Their Code Length",
        abstract="We rank language models by the length of the code they assign to a corpus. "
        "The code length ratio is strongly correlated with task performance, so it can be "
        "used as a metric to evaluate language models.",
        body="The ratio correlates well with benchmark accuracy on all five tasks.",
    )
    design = EXTRACTOR.extract(document)
    assert design.primary_strategy == Strategy.PROXY_OUTCOME


def test_a_size_trend_across_existing_models_is_observational() -> None:
    abstract = (
        "We prune released checkpoints in one shot with a new saliency score, and larger "
        "models are easier to prune at the same sparsity."
    )
    conclusion = "Larger models lose less accuracy when pruned."
    document = paper(
        title="One-Shot Pruning of Released Models",
        abstract=abstract,
        body="We ablate the saliency score under the same settings.",
        extra=(("Conclusion", conclusion, 5),),
    )
    design = EXTRACTOR.extract(document)
    assert uses_of(design).get(Strategy.OBSERVATIONAL) is True
    assert design.primary_strategy == Strategy.TARGET_EXPERIMENT
    # A paper that fits laws to its own ladder reads the same trend from its own runs.
    ladder = paper(
        title="Scaling Laws for Pruned Networks",
        abstract=abstract + " We fit scaling laws to our runs and extrapolate them to larger "
        "models.",
        body="We train models from 20M to 400M parameters and fit a power law to their loss.",
        extra=(("Conclusion", conclusion, 5),),
    )
    assert Strategy.OBSERVATIONAL not in uses_of(EXTRACTOR.extract(ladder))


def test_a_ladder_without_claims_beyond_it_is_not_a_headline_proxy_model() -> None:
    compared = paper(
        title="A Recurrent Layer for Language Models",
        abstract="We introduce a recurrent layer and compare it with attention in scaling law "
        "experiments on models from 125M to 1.3B parameters.",
        intro="With scaling laws up to 1.3B parameters, the layer matches attention at every "
        "size we train.",
        body="We ablate the state size under the same training setup.",
    )
    design = EXTRACTOR.extract(compared)
    assert uses_of(design).get(Strategy.PROXY_MODEL) is False
    assert design.primary_strategy == Strategy.TARGET_EXPERIMENT
    assert design.claims_beyond_scale.value is None
    assert "proxy_model not headline: no claim beyond the trained scale" in design.notes
    carried = paper(
        title=compared.title or "",
        abstract=(compared.abstract or "") + " We extrapolate the fitted laws to larger models "
        "than any we train.",
        intro=compared.sections[0].paragraphs[0].text,
        body="We ablate the state size under the same training setup.",
    )
    design = EXTRACTOR.extract(carried)
    assert design.claims_beyond_scale.value is True
    assert uses_of(design)[Strategy.PROXY_MODEL] is True


def test_a_judge_beside_the_papers_own_human_evaluation_is_not_headline() -> None:
    document = paper(
        title="Planning Agents for Long Stories",
        abstract="We propose planning agents for long story writing.",
        intro="Stories are scored by an LLM judge and by people.",
        body="We conduct a human evaluation with trained raters on every system. "
        "An LLM judge also compares the systems side by side. "
        "The LLM evaluator agrees with the raters on most pairs.",
        extra=(
            (
                "Conclusion",
                "Our human evaluation framework and an LLM evaluator both prefer the planned "
                "stories.",
                5,
            ),
        ),
    )
    design = EXTRACTOR.extract(document)
    assert uses_of(design).get(Strategy.PROXY_OUTCOME) is False
    assert design.primary_strategy == Strategy.TARGET_EXPERIMENT


def test_a_design_seen_only_in_the_body_is_not_headline() -> None:
    document = paper(
        title="Does the Normalisation Layer Matter",
        abstract="We ablate the normalisation layer under the same training setup at the full "
        "model size.",
        body="A side study evaluates twelve open-weight models from a public leaderboard. "
        "We correlate their accuracy with training compute. The leaderboard covers several "
        "model families. This observational analysis uses the leaderboard meta-data.",
    )
    design = EXTRACTOR.extract(document)
    assert Strategy.OBSERVATIONAL not in uses_of(design)
    assert uses_of(design) == {Strategy.TARGET_EXPERIMENT: True}


def test_a_paper_without_experiments_of_its_own_is_out_of_scope() -> None:
    essay = paper(
        title="How to Talk About Language Models",
        abstract="This essay asks what it means to say that a language model knows a fact.",
        body="Language models are trained to predict tokens. Benchmarks measure accuracy on "
        "test sets. Transformers with attention heads and embeddings dominate. Baselines "
        "and checkpoints are shared. Pre-training datasets are large. Fine-tuning follows. "
        "Perplexity and accuracy are common measures. Evaluation on benchmarks is routine. "
        "Ablations are common in papers. Throughput and inference cost matter. "
        "Validation loss is logged by many. Training tokens are counted. Datasets are "
        "documented. A benchmark is a test set. Accuracy is a number. A baseline is a "
        "reference. A checkpoint is a saved state.",
        filler=False,
    )
    design = EXTRACTOR.extract(essay)
    assert design.in_scope.value is False
    assert design.scope_reason == "no experiment of the paper's own is reported"


def test_a_short_paper_reporting_its_own_experiments_is_in_scope() -> None:
    short = paper(
        title="Gated Feed-Forward Layers",
        abstract="We test gated variants of the feed-forward layer in a transformer language "
        "model.",
        body="We train each transformer variant for the same number of steps. We evaluate "
        "perplexity of the language model on a held-out set. We compare the variants in "
        "Table 1. Table 1 shows that gating helps the transformer. We report results on four "
        "tasks after fine-tuning each pre-trained model.",
        filler=False,
    )
    assert EXTRACTOR.extract(short).in_scope.value is True


def test_silence_about_repetition_quotes_the_main_result() -> None:
    result = "Our layer improves accuracy by 2.1 points over the baseline."
    document = paper(
        title="Does the Normalisation Layer Matter",
        abstract="We ablate the normalisation layer under the same training setup at the full "
        "model size. " + result,
    )
    design = EXTRACTOR.extract(document)
    assert design.repeated_runs.value is False
    assert [e.quote for e in design.repeated_runs.evidence] == [result]
    assert "no repetition reported" in (design.repeated_runs.note or "")
    assert result in document.text()


def test_a_sentence_that_only_reports_cited_work_weighs_like_related_work() -> None:
    document = paper(
        title="Does the Normalisation Layer Matter",
        abstract="We ablate the normalisation layer under the same training setup at the full "
        "model size.",
        intro="Earlier studies fit scaling laws to small models (Writer et al., 2030). "
        "Power laws were extrapolated to larger scales (Author and Other, 2031). "
        "Proxy models are common [4, 7].",
    )
    assert Strategy.PROXY_MODEL not in EXTRACTOR.extract(document).strategy_names()


def test_a_main_caption_counts_when_an_appendix_section_shares_a_heading() -> None:
    document = paper(
        title=NORM_TITLE,
        abstract=NORM_ABSTRACT,
        extra=(
            ("Datasets", "The five benchmarks cover reading and arithmetic.", 3),
            ("Appendix", "Further details follow.", 9),
        ),
    )
    document = document.model_copy(
        update={
            "sections": (
                *document.sections[:-1],
                Section(
                    heading="Datasets",
                    number="A",
                    paragraphs=(Paragraph(text="Licences of the benchmarks.", page=9),),
                ),
            ),
            "captions": (
                Caption(
                    kind="table",
                    label="Table 2",
                    text="Table 2: Accuracy of both layers; parentheses give standard errors "
                    "over three seeds.",
                    page=4,
                ),
            ),
        }
    )
    assert EXTRACTOR.extract(document).repeated_runs.value is True


def test_a_cue_with_a_required_phrase_counts_only_where_the_phrase_stands() -> None:
    from screener.extract.cues import cue
    from screener.extract.heuristic import _Scan

    rare = cue(r"\bquality\b", 1.0, "test", requires=r"\btext quality\b")
    document = paper(
        title="Quality Matters",
        abstract="Data quality matters. Text quality is measured by raters.",
        filler=False,
    )
    hits = _Scan(document).hits(rare)
    assert [h.sentence.text for h in hits] == ["Text quality is measured by raters."]


def test_a_sample_of_open_and_closed_models_is_pooled_across_families() -> None:
    document = paper(
        title="What Drives Long-Context Scores",
        abstract="We evaluate 23 open-source and proprietary models on a long-context "
        "benchmark and analyse what their scores depend on.",
        intro="The leaderboard spans open-weight models and closed API models.",
        body="We correlate benchmark accuracy with model size and release date.",
    )
    design = EXTRACTOR.extract(document)
    assert Strategy.OBSERVATIONAL in design.strategy_names()
    assert design.pooled_families.value is True
    assert design.n_models.value == 23
