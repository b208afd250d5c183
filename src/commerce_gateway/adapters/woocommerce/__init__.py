from commerce_gateway.adapters.woocommerce.adapter import WooCommerceAdapter

__all__ = ["WooCommerceAdapter"]
