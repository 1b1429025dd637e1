"""Arrears — post-loan overdue case management (贷后逾期案件管理系统)."""

__version__ = "0.1.0"
