"""The marketplace sync as an admin sees it (`marketplaceSyncStatus`)."""
