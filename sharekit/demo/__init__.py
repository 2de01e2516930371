"""Demo data for tutorials, tests and benchmarks: sample Delta tables and (in ``audit_history``) a realistic audit log."""
