"""Federated learning (issue 12): browsers and edge devices train a head on their own data and send
clipped weight deltas; the coordinator aggregates them robustly and privately.

The pure core, with no I/O: protocol.py (the control messages, JSON Schema exported), validate.py
(every update checked before it counts), aggregators.py (FedAvg, median, trimmed mean, Krum),
privacy.py (clipping, central DP noise, the accountant) and coordinator.py (the rounds' state machine).
"""
