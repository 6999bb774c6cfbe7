"""The command layer: one module per task (or family of tasks). A command parses the flags it is
given, calls the library and prints through `Output`; `synthlaunch.tasks` imports the command
inside the task's body and runs it through `runner.run_command`, which maps failures to exit codes."""
