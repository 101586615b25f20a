"""Prompt and generation tokens/s of the embedded llama-server, per start-up variant.

    .venv/bin/python bench/server_speed.py                     # the installed llama-server
    .venv/bin/python bench/server_speed.py --binary OTHER ...  # and other builds beside it

For each binary and each start-up variant (``repack``: ggml's repacked weight layouts, AMX
included where the CPU advertises it; ``no-repack``), the project starts llama-server as a run
would (EXTRACTOR_SERVER_VARIANT forces the variant), sends the same requests to its native
``/completion`` endpoint (a seed article as the prompt, the prompt cache off, temperature 0,
a fixed number of generated tokens) and reads llama.cpp's own ``timings``. A variant that
crashes at start-up is reported as such. Prints medians and, last, the ratio of each row to the
first row that ran; at temperature 0 the generated text should be the same in every row.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent

from extractor.backends import local_server  # noqa: E402

SEED = ROOT / "seeds" / "000_3911936b9cb8e675.txt"


def measure(binary: Path | None, variant: str, repeats: int, generate: int) -> dict:
    os.environ[local_server.VARIANT_ENV] = variant
    if binary is None:
        os.environ.pop(local_server.BINARY_ENV, None)
    else:
        os.environ[local_server.BINARY_ENV] = str(binary)
    try:
        server = local_server.start_server(ready_timeout=300)
    except local_server.LocalModelError as err:
        first_line = str(err).splitlines()[0]
        return {"error": first_line}
    prompt = ("Summarise this article in English.\n\n" + SEED.read_text(encoding="utf-8")
              + "\n\nSummary:")
    prompt_rates, generate_rates, texts = [], [], set()
    try:
        for _ in range(repeats):
            response = httpx.post(
                f"http://127.0.0.1:{server.port}/completion", timeout=600, trust_env=False,
                json={"prompt": prompt, "n_predict": generate, "temperature": 0,
                      "cache_prompt": False, "ignore_eos": True})
            response.raise_for_status()
            body = response.json()
            timings = body["timings"]
            prompt_rates.append(timings["prompt_per_second"])
            generate_rates.append(timings["predicted_per_second"])
            texts.add(body["content"])
            prompt_tokens = timings["prompt_n"]
    finally:
        local_server.stop_server(server)
    return {"prompt_tps": statistics.median(prompt_rates),
            "generate_tps": statistics.median(generate_rates),
            "prompt_tokens": prompt_tokens, "texts": texts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", action="append", type=Path, default=[],
                        help="another llama-server build to measure (repeatable)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--generate", type=int, default=96, help="tokens generated a request")
    args = parser.parse_args(argv)
    rows = []
    for binary in [None, *args.binary]:
        label = "installed" if binary is None else str(binary)
        for variant in local_server.START_VARIANTS:
            print(f"measuring {label} / {variant.name} ...", file=sys.stderr, flush=True)
            rows.append((label, variant.name,
                         measure(binary, variant.name, args.repeats, args.generate)))
    base = next((row[2] for row in rows if "error" not in row[2]), None)
    texts = {text for _, _, result in rows for text in result.get("texts", ())}
    print(f"{'binary':<40} {'variant':<10} {'prompt tok/s':>12} {'gen tok/s':>10} "
          f"{'prompt x':>8} {'gen x':>6}")
    for label, variant, result in rows:
        if "error" in result:
            print(f"{label[-40:]:<40} {variant:<10} {'crashed: ' + result['error'][:60]}")
            continue
        print(f"{label[-40:]:<40} {variant:<10} {result['prompt_tps']:>12.1f} "
              f"{result['generate_tps']:>10.2f} "
              f"{result['prompt_tps'] / base['prompt_tps']:>8.2f} "
              f"{result['generate_tps'] / base['generate_tps']:>6.2f}")
    if base:
        print(f"prompt: {base['prompt_tokens']} tokens; generated: {args.generate} tokens; "
              f"distinct generated texts across rows: {len(texts)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
