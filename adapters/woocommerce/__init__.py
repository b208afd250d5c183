from adapters.woocommerce.adapter import WooCommerceAdapter

__all__ = ["WooCommerceAdapter"]
