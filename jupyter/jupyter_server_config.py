# The project's JupyterLab configuration. `make setup` copies it into the
# venv's Jupyter config folder ($VENV/etc/jupyter), so it applies to every
# JupyterLab started from the venv: `make lab`, the browser test, the Docker
# image. Settings in ~/.jupyter still override it.
# ruff: noqa: F821  (Jupyter defines `c` when it loads this file)

# Show the kernel's state ("Idle") as soon as a notebook opens. Jupyter
# Server's default leaves out of activity tracking the messages answering a
# kernel_info_request, and JupyterLab ignores the status messages whose
# parent is one of them. Right after a notebook opens, GoNB's only status
# messages answer kernel_info_requests, so the status bar read "Unknown"
# until the first cell ran, and for good after a page reload. The list below
# is the server's default (jupyter_server 2.x) without those two types. The
# cost: a page that (re)connects to a kernel counts as activity on it, which
# only matters to an idle-kernel culler, and none is configured here.
c.MappingKernelManager.untracked_message_types = [
    "comm_info_request",
    "comm_info_reply",
    "shutdown_request",
    "shutdown_reply",
    "interrupt_request",
    "interrupt_reply",
    "debug_request",
    "debug_reply",
    "stream",
    "display_data",
    "update_display_data",
    "execute_input",
    "execute_result",
    "error",
    "status",
    "clear_output",
    "debug_event",
    "input_request",
    "input_reply",
]

# No outbound requests that the user did not ask for: no news feed (and so
# no "get notified about official Jupyter news?" popup), no check for a
# newer JupyterLab, and an extension manager that lists what is installed
# without querying PyPI.
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.extension_manager = "readonly"
