from commerce_gateway.adapters.ebay.adapter import EbayAdapter

__all__ = ["EbayAdapter"]
