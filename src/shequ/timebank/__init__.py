"""Time bank (时间银行, R4): help requests, orders, a double-entry hours ledger, indicators."""
