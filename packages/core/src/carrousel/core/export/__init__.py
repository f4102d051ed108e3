"""Export for deployment: ONNX (two exporters), ``torch.export``, dynamic int8, deployment bundles.

* :mod:`~carrousel.core.export.graph`: :func:`exportable` (encoders in a graph form every exporter
  handles, lengths included), :func:`check_exportable`, :func:`export_program` (``torch.export``);
* :mod:`~carrousel.core.export.onnx`: :func:`export_onnx`, :func:`verify_onnx` (ONNX Runtime at other
  sizes than the example), :class:`OnnxModule`;
* :mod:`~carrousel.core.export.dynamic`: :func:`quantize_int8` (dynamic int8, embedding tables included;
  :func:`int8_quantized` says which node types it quantized);
* :mod:`~carrousel.core.export.quant`: :func:`quantize_static_int8` (calibrated int8 convolutions);
* :mod:`~carrousel.core.export.deploy`: :func:`export_bundle` / :func:`load_runtime`, the helper behind
  every domain's ``export`` command (:func:`export_measured`: measured before it replaces the folder);
* :mod:`~carrousel.core.export.precision`: :func:`reduced_precision` (a network run in bf16 / fp16
  autocast, the one way a domain offers ``--precision``);
* :mod:`~carrousel.core.export.fuse`: :func:`fuse_members` (an ensemble's parallel members as one network
  with block-diagonal weights, one recurrent node per layer), :func:`check_fused`;
* :mod:`~carrousel.core.export.report`: :class:`DeploymentReport` and its measurements.

The ONNX parts need the ``carrousel-core[export]`` extra; they import it at the point of use, so this
package imports without it. The names are imported on first use (:mod:`carrousel.core.lazy`): the export
choices of a command line (:mod:`~carrousel.core.export.choices`) do not pull in torch.
"""

from typing import TYPE_CHECKING

from carrousel.core.lazy import lazy_exports

if TYPE_CHECKING:
    from carrousel.core.export.choices import (
        DeployPrecision,
        Exporter,
        InferencePrecision,
        check_exporter,
        check_variant,
    )
    from carrousel.core.export.deploy import (
        EXPORT_ASSET,
        ExportSpec,
        check_export_out,
        export_bundle,
        export_measured,
        load_runtime,
        strip_export,
    )
    from carrousel.core.export.dynamic import (
        EMBEDDING_OPS,
        INT8_OPS,
        int8_ops_supported,
        int8_quantized,
        quantize_int8,
    )
    from carrousel.core.export.fuse import REDUCTIONS, FusedMembers, check_fused, fuse_members
    from carrousel.core.export.graph import (
        GraphEncoder,
        check_exportable,
        check_torchscript_only,
        export_program,
        exportable,
    )
    from carrousel.core.export.onnx import (
        EXTRA,
        OnnxModule,
        export_onnx,
        onnx_session,
        run_onnx,
        verify_onnx,
    )
    from carrousel.core.export.precision import ReducedPrecision, reduced_precision
    from carrousel.core.export.quant import STATIC_OPS, quantize_static_int8
    from carrousel.core.export.report import (
        DeploymentReport,
        folder_bytes,
        measure_latency,
        parameter_count,
        time_call,
    )
    from carrousel.core.export.unsort import drop_length_sort

_LAZY = {  # name -> the module that defines it, imported on first use
    **dict.fromkeys(
        (
            "EXPORT_ASSET",
            "ExportSpec",
            "check_export_out",
            "export_bundle",
            "export_measured",
            "load_runtime",
            "strip_export",
        ),
        "carrousel.core.export.deploy",
    ),
    **dict.fromkeys(
        ("DeployPrecision", "Exporter", "InferencePrecision", "check_exporter", "check_variant"),
        "carrousel.core.export.choices",
    ),
    **dict.fromkeys(("ReducedPrecision", "reduced_precision"), "carrousel.core.export.precision"),
    **dict.fromkeys(
        ("FusedMembers", "REDUCTIONS", "check_fused", "fuse_members"), "carrousel.core.export.fuse"
    ),
    **dict.fromkeys(
        ("GraphEncoder", "check_exportable", "check_torchscript_only", "export_program", "exportable"),
        "carrousel.core.export.graph",
    ),
    **dict.fromkeys(
        (
            "EXTRA",
            "OnnxModule",
            "export_onnx",
            "onnx_session",
            "run_onnx",
            "verify_onnx",
        ),
        "carrousel.core.export.onnx",
    ),
    **dict.fromkeys(
        ("EMBEDDING_OPS", "INT8_OPS", "int8_ops_supported", "int8_quantized", "quantize_int8"),
        "carrousel.core.export.dynamic",
    ),
    **dict.fromkeys(("STATIC_OPS", "quantize_static_int8"), "carrousel.core.export.quant"),
    **dict.fromkeys(("drop_length_sort",), "carrousel.core.export.unsort"),
    **dict.fromkeys(
        ("DeploymentReport", "folder_bytes", "measure_latency", "parameter_count", "time_call"),
        "carrousel.core.export.report",
    ),
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "EMBEDDING_OPS",
    "EXPORT_ASSET",
    "EXTRA",
    "INT8_OPS",
    "REDUCTIONS",
    "STATIC_OPS",
    "DeployPrecision",
    "DeploymentReport",
    "ExportSpec",
    "Exporter",
    "FusedMembers",
    "GraphEncoder",
    "InferencePrecision",
    "OnnxModule",
    "ReducedPrecision",
    "check_export_out",
    "check_exportable",
    "check_exporter",
    "check_fused",
    "check_torchscript_only",
    "check_variant",
    "drop_length_sort",
    "export_bundle",
    "export_measured",
    "export_onnx",
    "export_program",
    "exportable",
    "folder_bytes",
    "fuse_members",
    "int8_ops_supported",
    "int8_quantized",
    "load_runtime",
    "measure_latency",
    "onnx_session",
    "parameter_count",
    "quantize_int8",
    "quantize_static_int8",
    "reduced_precision",
    "run_onnx",
    "strip_export",
    "time_call",
    "verify_onnx",
]
