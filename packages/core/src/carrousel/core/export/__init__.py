"""Export for deployment: ONNX (two exporters), ``torch.export``, dynamic int8, deployment bundles.

* :mod:`~carrousel.core.export.graph`: :func:`exportable` (encoders in a graph form every exporter
  handles, lengths included), :func:`check_exportable`, :func:`export_program` (``torch.export``);
* :mod:`~carrousel.core.export.onnx`: :func:`export_onnx`, :func:`verify_onnx` (ONNX Runtime at other
  sizes than the example), :func:`quantize_int8`, :class:`OnnxModule`;
* :mod:`~carrousel.core.export.deploy`: :func:`export_bundle` / :func:`load_runtime`, the helper behind
  every domain's ``export`` command, and the measurements of its report.

The ONNX parts need the ``carrousel-core[export]`` extra; they import it at the point of use, so this
package imports without it.
"""

from carrousel.core.export.deploy import (
    EXPORT_ASSET,
    DeployPrecision,
    ExportSpec,
    export_bundle,
    folder_bytes,
    load_runtime,
    parameter_count,
    time_call,
)
from carrousel.core.export.graph import GraphEncoder, check_exportable, export_program, exportable
from carrousel.core.export.onnx import (
    EXTRA,
    Exporter,
    OnnxModule,
    export_onnx,
    onnx_session,
    quantize_int8,
    run_onnx,
    verify_onnx,
)

__all__ = [
    "EXPORT_ASSET",
    "EXTRA",
    "DeployPrecision",
    "ExportSpec",
    "Exporter",
    "GraphEncoder",
    "OnnxModule",
    "check_exportable",
    "export_bundle",
    "export_onnx",
    "export_program",
    "exportable",
    "folder_bytes",
    "load_runtime",
    "onnx_session",
    "parameter_count",
    "quantize_int8",
    "run_onnx",
    "time_call",
    "verify_onnx",
]
