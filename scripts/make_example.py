"""Write the bundled example paper, `examples/data-mix-ablation.pdf`.

The paper is fictional and written for this project: a data-mix ablation on small proxy models
whose fitted scaling laws are extrapolated to a 70B model, with validation loss standing in for
benchmark accuracy, one seed per configuration and no check at the target scale. That is a design
the screener should flag on several validity types, so `make demo` has something to show.

Run from the repository root: `python scripts/make_example.py [OUTPUT.pdf]`.
The output is deterministic: the same text, layout and (for a given PyMuPDF and matplotlib) bytes.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a script of its own: no display needed

import pymupdf  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

OUTPUT = Path("examples/data-mix-ablation.pdf")

PAGE = pymupdf.paper_rect("letter")
MARGIN = 54.0
GUTTER = 20.0
FOOTER_Y = PAGE.height - 30.0
# PDF dates are fixed so that re-running the script does not change the file.
FIXED_DATE = "D:20260101000000Z"

TITLE = (
    "Does More Code Data Help Reasoning? A Data-Mix Ablation on Small Models, Extrapolated to 70B"
)
AUTHORS = "Mira Okonkwo-Hale<sup>1</sup>, Tobias Lindqvist<sup>2</sup>, Priya Ramaswamy<sup>1</sup>"
AFFILIATIONS = (
    "<sup>1</sup>Institute for Imaginary Learning Systems &nbsp; "
    "<sup>2</sup>Northfield College of Computing"
)
DISCLAIMER = (
    "A fictional example paper bundled with the screener software. "
    "The authors, institutions, references and results are invented."
)

# --- The fictional results: one power law of validation loss against compute per mix. ----------
# L(C) = E + A * (C / 1e17) ** -alpha, C = 6 * N * D with D = 20 tokens per parameter.
MIXES = {0: (1.60, 1.95, 0.100), 10: (1.59, 1.93, 0.103), 20: (1.58, 1.92, 0.106)}
SIZES = {"60M": 60e6, "150M": 150e6, "400M": 400e6, "1B": 1e9}
# Fixed per-run deviations from the law: single runs scatter around their fit.
SCATTER = {"60M": 0.004, "150M": -0.006, "400M": 0.003, "1B": -0.002}
TARGET_PARAMS = 70e9
TARGET_TOKENS = 1.4e12


def compute(params: float, tokens: float | None = None) -> float:
    return 6 * params * (tokens if tokens is not None else 20 * params)


def law(mix: int, flops: float) -> float:
    floor, scale, alpha = MIXES[mix]
    return floor + scale * (flops / 1e17) ** -alpha


def observed(mix: int, size: str) -> float:
    return round(law(mix, compute(SIZES[size])) + SCATTER[size], 3)


def predicted(mix: int) -> float:
    return round(law(mix, compute(TARGET_PARAMS, TARGET_TOKENS)), 2)


# --- The paper's text. ---------------------------------------------------------------------------


def abstract() -> str:
    gain = predicted(0) - predicted(20)
    return (
        "Practitioners often add source code to the pre-training mix of language models in the "
        "hope that it improves mathematical reasoning. We study the effect of the share of code in "
        "the pre-training data on reasoning ability. We train small proxy models with 60M, 150M, "
        "400M and 1B parameters on data mixes with 0%, 10% and 20% code, fit a scaling law of "
        "validation loss against training compute for each mix, and extrapolate the fitted laws "
        "to a 70B model. Validation loss on a held-out corpus of mathematical text serves as a "
        "proxy for accuracy on reasoning benchmarks. The fitted laws predict that a 70B model "
        f"trained with 20% code would reach a validation loss {gain:.2f} nats lower than the same "
        "model trained without code. We conclude that frontier models should include at least 20% "
        "code in their pre-training mix."
    )


def body_html() -> str:
    p0, p10, p20 = predicted(0), predicted(10), predicted(20)
    rows = "".join(
        f"<tr><td>{size}</td>"
        + "".join(f"<td>{observed(mix, size):.3f}</td>" for mix in MIXES)
        + "</tr>"
        for size in SIZES
    )
    return f"""
<h2>1 Introduction</h2>
<p>Whether code data makes language models better at reasoning is a recurring question in
the design of pre-training mixes. Code is cheap to collect, and many teams believe that its
explicit structure teaches step-by-step thinking. Direct evidence at the frontier is scarce,
because training a 70B model for every candidate mix costs far more than most groups can spend.</p>
<p>We therefore follow the common practice of running the ablation on small proxy models and
extrapolating the result with scaling laws. Our research question is: what is the effect of the
share of code in the pre-training mix on the reasoning ability of a 70B language model?</p>
<p>Our contributions are: (i) a controlled data-mix ablation with three code shares at four model
sizes; (ii) a power-law fit of validation loss against compute for each mix; (iii) a prediction of
the benefit of code data for a 70B model trained on 1.4T tokens.</p>

<h2>2 Related Work</h2>
<p>Brennan and Sato [1] tune data mixtures on models below 100M parameters and report that the
best mixture changes little with size. Ferreira et al. [2] find that code data improves arithmetic
in small language models trained for many epochs. Castellanos [3] fits separate power laws per
data mixture and argues that the exponents, not the offsets, decide which mixture wins at scale.
We follow the last approach and ask what it implies for code data at 70B.</p>

<h2>3 Experimental Setup</h2>
<h3>3.1 Models and data mixes</h3>
<p>We train decoder-only transformers with 60M, 150M, 400M and 1B parameters. Each model is
trained from scratch for 20 tokens per parameter with the same optimizer, learning-rate schedule
and tokenizer. The base corpus is filtered web text. In the treated mixes, source code replaces
10% or 20% of the training tokens, so that the token budget stays fixed; the 0% mix is the
control. All other hyperparameters are identical across mixes.</p>
<h3>3.2 Outcome</h3>
<p>We measure validation loss on a held-out corpus of 50M tokens of mathematical text (textbook
solutions and competition write-ups). We use this validation loss as a stand-in for accuracy on
reasoning benchmarks such as grade-school math word problems, because the benchmark accuracy of
models below 1B parameters is close to chance and too noisy to compare mixes.</p>
<h3>3.3 Runs</h3>
<p>Because of our compute budget, each configuration is trained with a single seed, and we report
point estimates without confidence intervals. In total we train twelve models.</p>

<h2>4 Results</h2>
<h3>4.1 Small models</h3>
<p>Table 1 lists the validation loss of every run. Adding code lowers the loss at every model
size, and the gap between the 0% and the 20% mix widens from
{observed(0, "60M") - observed(20, "60M"):.3f} nats at 60M to
{observed(0, "1B") - observed(20, "1B"):.3f} nats at 1B.</p>
<table>
<tr><th>Model</th><th>0% code</th><th>10% code</th><th>20% code</th></tr>
{rows}
</table>
<p class="caption">Table 1: Validation loss on the held-out mathematical corpus (lower is better)
for each model size and code share. One run per cell.</p>
<h3>4.2 Extrapolation to 70B</h3>
<p>For each mix we fit a power law L(C) = E + A C<sup>-&alpha;</sup> of validation loss against
training compute C, using the four model sizes. The fitted exponent grows with the share of
code ({MIXES[0][2]:.3f} for 0%, {MIXES[10][2]:.3f} for 10% and {MIXES[20][2]:.3f} for 20%).
We then extrapolate each fitted law to the compute of a 70B model trained on 1.4T tokens, about
5.9 &times; 10<sup>23</sup> FLOPs.</p>
<img src="fits.png" width="100%"/>
<p class="caption">Figure 1: Validation loss against training compute for the three mixes, with
the fitted power laws (lines) extrapolated to the compute of a 70B model (stars).</p>
<p>We predict that a 70B model trained with 20% code would reach a validation loss of {p20:.2f},
against {p10:.2f} with 10% code and {p0:.2f} without code. Since lower loss on mathematical text
goes with better reasoning, we expect the 20% mix to give the highest reasoning benchmark accuracy
at 70B.</p>

<h2>5 Limitations</h2>
<p>We did not train a 70B model to verify the prediction; the extrapolation spans almost two
orders of magnitude in parameters beyond our largest model. Each configuration was run with one
seed, so differences between mixes at the smallest sizes may lie within seed-to-seed variation.
Validation loss on mathematical text is a proxy: we have not checked that lower loss translates
into higher benchmark accuracy for large models.</p>

<h2>6 Conclusion</h2>
<p>Within the range we could train, more code in the pre-training mix lowers the loss on
mathematical text, and the fitted scaling laws predict that the benefit persists at 70B. We
recommend a code share of at least 20% for frontier pre-training.</p>

<h2>References</h2>
<p class="ref">[1] A. Brennan and K. Sato. Compute-optimal mixtures for tiny transformers.
In Proceedings of the Imaginary Conference on Learning, 2024.</p>
<p class="ref">[2] L. Ferreira, J. Novak and H. Idris. Code as a teacher: source data and
arithmetic in small language models. Journal of Made-Up Machine Learning, 7(2):1&ndash;19, 2025.</p>
<p class="ref">[3] R. Castellanos. Power laws for data mixtures. Fictional Preprint Server,
2025.</p>
"""


def header_html() -> str:
    return f"""
<h1>{TITLE}</h1>
<p class="authors">{AUTHORS}</p>
<p class="affil">{AFFILIATIONS}</p>
<p class="note">{DISCLAIMER}</p>
<h2 class="abstract">Abstract</h2>
<p class="abstract">{abstract()}</p>
"""


CSS = """
* { font-family: sans-serif; }
body { font-size: 9.5pt; line-height: 1.25; }
p { margin: 0 0 5pt 0; text-align: justify; }
h1 { font-size: 15pt; font-weight: bold; text-align: center; margin: 0 0 8pt 0; }
h2 { font-size: 11pt; font-weight: bold; margin: 9pt 0 4pt 0; }
h3 { font-size: 10pt; font-weight: bold; margin: 6pt 0 3pt 0; }
p.authors { font-size: 10.5pt; text-align: center; margin: 0 0 2pt 0; }
p.affil { font-size: 9pt; text-align: center; }
p.note { font-size: 8pt; font-style: italic; text-align: center; margin: 0 0 6pt 0; }
h2.abstract { text-align: center; font-size: 10.5pt; }
p.abstract { margin: 0 30pt 0 30pt; }
p.caption { font-size: 8.5pt; }
p.ref { font-size: 8.5pt; text-align: left; }
table { margin: 4pt 0 4pt 0; width: 100%; }
th, td { font-size: 8.5pt; padding: 1pt 6pt 1pt 6pt; text-align: right; }
"""


# --- Rendering. --------------------------------------------------------------------------------


def fits_png() -> bytes:
    """Figure 1: the runs, the fitted laws and their extrapolation (rendered with matplotlib)."""
    figure = Figure(figsize=(3.4, 2.3), dpi=200)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    target = compute(TARGET_PARAMS, TARGET_TOKENS)
    grid = [10 ** (17 + 0.1 * i) for i in range(int(10 * (len(str(int(target))) - 18)) + 1)]
    grid.append(target)
    for mix, colour in zip(MIXES, ("#444444", "#1f77b4", "#d62728"), strict=True):
        xs = [compute(n) for n in SIZES.values()]
        axes.plot(xs, [observed(mix, s) for s in SIZES], "o", color=colour, markersize=3.5)
        axes.plot(
            grid, [law(mix, c) for c in grid], "-", color=colour, linewidth=1, label=f"{mix}% code"
        )
        axes.plot([target], [law(mix, target)], "*", color=colour, markersize=8)
    axes.set_xscale("log")
    axes.set_xlabel("training compute (FLOPs)", fontsize=7)
    axes.set_ylabel("validation loss (math)", fontsize=7)
    axes.tick_params(labelsize=6)
    axes.legend(fontsize=6, frameon=False)
    figure.tight_layout(pad=0.3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def header_height() -> float:
    """How tall the full-width title block is, measured on a scratch page."""
    scratch = pymupdf.open()
    page = scratch.new_page(width=PAGE.width, height=PAGE.height)
    box = pymupdf.Rect(MARGIN, MARGIN, PAGE.width - MARGIN, PAGE.height / 2)
    spare, scale = page.insert_htmlbox(box, header_html(), css=CSS, scale_low=1)
    if spare < 0 or scale != 1:
        raise SystemExit("the title block does not fit on half a page")
    return box.height - spare


def column_rect(number: int, first_top: float) -> pymupdf.Rect:
    """Column `number` of the body: two per page, the first page's start below the title."""
    page, column = divmod(number, 2)
    width = (PAGE.width - 2 * MARGIN - GUTTER) / 2
    left = MARGIN + column * (width + GUTTER)
    top = first_top if page == 0 else MARGIN
    return pymupdf.Rect(left, top, left + width, FOOTER_Y - 14)


def body_pdf(first_top: float) -> bytes:
    """The body set in two columns (PyMuPDF's Story flows the HTML from column to column)."""
    archive = pymupdf.Archive()
    archive.add(fits_png(), "fits.png")
    story = pymupdf.Story(body_html(), user_css=CSS, archive=archive)
    buffer = io.BytesIO()
    writer = pymupdf.DocumentWriter(buffer)

    def rectfn(number: int, filled: pymupdf.Rect) -> tuple:
        # A mediabox starts a new page: only the left column of each page opens one.
        return (PAGE if number % 2 == 0 else None), column_rect(number, first_top), None

    story.write(writer, rectfn)
    writer.close()
    return buffer.getvalue()


def build() -> bytes:
    top = MARGIN + header_height() + 12
    doc = pymupdf.open("pdf", body_pdf(top))
    first = doc[0]
    first.insert_htmlbox(
        pymupdf.Rect(MARGIN, MARGIN, PAGE.width - MARGIN, top), header_html(), css=CSS
    )
    for number, page in enumerate(doc, start=1):
        footer = pymupdf.Rect(0, FOOTER_Y, PAGE.width, FOOTER_Y + 20)
        if page.insert_textbox(footer, str(number), fontname="helv", fontsize=9, align=1) < 0:
            raise SystemExit("the page number does not fit its box")
    doc.set_metadata(
        {
            "title": TITLE,
            "author": "Mira Okonkwo-Hale, Tobias Lindqvist, Priya Ramaswamy",
            "subject": "Fictional example paper for screener",
            "creator": "scripts/make_example.py",
            "producer": "PyMuPDF",
            "creationDate": FIXED_DATE,
            "modDate": FIXED_DATE,
        }
    )
    return doc.tobytes(garbage=4, deflate=True, no_new_id=True)


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    data = build()
    output.write_bytes(data)
    pages = pymupdf.open("pdf", data).page_count
    print(f"wrote {output} ({pages} pages, {len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
