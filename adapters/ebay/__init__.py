from adapters.ebay.adapter import EbayAdapter

__all__ = ["EbayAdapter"]
