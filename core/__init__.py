"""medkb core: jobs, stores, the worker engine, tasks and providers; no UI."""
