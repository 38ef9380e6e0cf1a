"""Event rules and targets as the EventBridge API manages them, and notification topics."""
