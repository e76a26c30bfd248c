"""Delivery: claim links after issuing (email or CSV), and the wallet protocols the claim page offers.

The built-in `lerconnect_after_issue` implementation lives in `plugin.py` and loads through the
same entry point a campus's own sink would.
"""
