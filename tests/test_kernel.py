"""The GoNB kernel as installed (kernel/install.sh) starts quietly: a cell
runs, and the kernel process writes nothing to stderr."""
import subprocess
import tempfile

from jupyter_client.manager import KernelManager


def test_kernel_start_prints_nothing_on_stderr():
    with tempfile.TemporaryFile() as stderr:
        km = KernelManager(kernel_name="gonb")
        km.start_kernel(stderr=stderr, stdout=subprocess.DEVNULL)
        try:
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=120)
            outputs = []
            kc.execute_interactive('%%\nfmt.Println("quiet")', timeout=300,
                                   output_hook=lambda msg: outputs.append(msg["content"].get("text", "")))
            kc.stop_channels()
        finally:
            km.shutdown_kernel(now=False)
        stderr.seek(0)
        text = stderr.read().decode(errors="replace")
    assert "quiet" in "".join(outputs), outputs
    # GoNB v0.11.5 logs "Error message" at every start unless the kernelspec
    # raises -stderrthreshold (kernel/install.sh does).
    assert text.strip() == "", f"the kernel wrote on stderr:\n{text[:2000]}"
