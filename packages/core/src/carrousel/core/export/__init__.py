"""Export for deployment: ONNX (two exporters), ``torch.export``, dynamic int8, deployment bundles.

* :mod:`~carrousel.core.export.graph`: :func:`exportable` (encoders in a graph form every exporter
  handles, lengths included), :func:`check_exportable`, :func:`export_program` (``torch.export``);
* :mod:`~carrousel.core.export.onnx`: :func:`export_onnx`, :func:`verify_onnx` (ONNX Runtime at other
  sizes than the example), :func:`quantize_int8`, :class:`OnnxModule`;
* :mod:`~carrousel.core.export.quant`: :func:`quantize_static_int8` (calibrated int8 convolutions);
* :mod:`~carrousel.core.export.deploy`: :func:`export_bundle` / :func:`load_runtime`, the helper behind
  every domain's ``export`` command;
* :mod:`~carrousel.core.export.fuse`: :func:`fuse_members` (an ensemble's parallel members as one network
  with block-diagonal weights, one recurrent node per layer), :func:`check_fused`;
* :mod:`~carrousel.core.export.report`: :class:`DeploymentReport` and its measurements.

The ONNX parts need the ``carrousel-core[export]`` extra; they import it at the point of use, so this
package imports without it.
"""

from carrousel.core.export.deploy import (
    EXPORT_ASSET,
    DeployPrecision,
    ExportSpec,
    export_bundle,
    load_runtime,
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
    INT8_OPS,
    Exporter,
    OnnxModule,
    export_onnx,
    onnx_session,
    quantize_int8,
    run_onnx,
    verify_onnx,
)
from carrousel.core.export.quant import STATIC_OPS, quantize_static_int8
from carrousel.core.export.report import (
    DeploymentReport,
    folder_bytes,
    measure_latency,
    parameter_count,
    time_call,
)

__all__ = [
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
    "OnnxModule",
    "check_exportable",
    "check_fused",
    "check_torchscript_only",
    "export_bundle",
    "export_onnx",
    "export_program",
    "exportable",
    "folder_bytes",
    "fuse_members",
    "load_runtime",
    "measure_latency",
    "onnx_session",
    "parameter_count",
    "quantize_int8",
    "quantize_static_int8",
    "run_onnx",
    "time_call",
    "verify_onnx",
]
