"""The sentence-transformers network exported to ONNX and run by ONNX Runtime with `tokenizers`.

The exported graph holds the transformer, the model's pooling (mean or CLS, from its
`1_Pooling/config.json`) and L2 normalisation, so it outputs the sentence vectors
sentence-transformers gives. `onnx-int8` is the same graph with dynamically quantised int8
weights.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from autocode.errors import InputError

ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def model_settings(source: Path) -> dict[str, Any]:
    """Pooling and maximum length of a local sentence-transformers folder."""
    pooling_file = source / "1_Pooling" / "config.json"
    pooling = json.loads(pooling_file.read_text()) if pooling_file.is_file() else {}
    if pooling.get("pooling_mode_cls_token"):
        mode = "cls"
    elif pooling.get("pooling_mode_mean_tokens", True):
        mode = "mean"
    else:
        raise InputError(pooling_file, "only mean or CLS pooling can be exported to ONNX")
    bert_config = source / "sentence_bert_config.json"
    settings = json.loads(bert_config.read_text()) if bert_config.is_file() else {}
    return {"pooling": mode, "max_seq_length": int(settings.get("max_seq_length") or 256)}


def export_onnx(source: Path, target: Path, pooling: str) -> None:
    """Trace the model at `source` (transformer + pooling + normalisation) into `target`."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    network = AutoModel.from_pretrained(str(source)).eval()

    class SentenceGraph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.network(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            if pooling == "cls":
                pooled = hidden[:, 0]
            else:
                weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    example = tuple(torch.ones(2, 8, dtype=torch.long) for _ in _INPUTS)
    axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it fixes; none matter here
        torch.onnx.export(
            SentenceGraph(),
            example,
            str(target),
            input_names=list(_INPUTS),
            output_names=["sentence_embedding"],
            dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights, per channel (activations at run time).

    Measured on 300 seed-paper sentences: mean cosine to the fp32 vectors 0.991 (min 0.984);
    per-tensor weights, or the embedding Gather quantised too, gave 0.957 to 0.978.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process applies to CNNs
    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"],
        per_channel=True,
    )


class OnnxBackend:
    """An exported graph in an ONNX Runtime session; tokenisation by the model's own tokenizer."""

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        source: str,
        device: str | None,
        threads: int | None,
    ) -> None:
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as error:
            raise InputError(folder, f"the ONNX backends need onnxruntime: {error}") from None
        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        providers = ["CPUExecutionProvider"]
        gpu = "CUDAExecutionProvider" in onnxruntime.get_available_providers()
        if gpu and (device or "cuda").startswith("cuda"):
            providers.insert(0, "CUDAExecutionProvider")
        self.session = onnxruntime.InferenceSession(
            str(folder / ONNX_FILE), options, providers=providers
        )
        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(int(manifest["max_seq_length"]))
        pad_id = self.tokenizer.token_to_id("[PAD]") or 0
        self.tokenizer.enable_padding(pad_id=pad_id, pad_token="[PAD]")
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.dimension = int(manifest["dimension"])
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")

    def encode_batch(self, texts: list[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(texts)
        arrays = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        (vectors,) = self.session.run(None, {name: arrays[name] for name in self.inputs})
        return np.asarray(vectors, dtype=np.float32)
