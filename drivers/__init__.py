"""Hardware of the office: ESC/POS ticket printers and serial LED counter boards.

No network, no UI and nothing else of ours is imported here, so a driver can be lifted into
another project. The apps call these synchronous functions from thread workers.
"""
