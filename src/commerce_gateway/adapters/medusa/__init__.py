from commerce_gateway.adapters.medusa.adapter import MedusaAdapter

__all__ = ["MedusaAdapter"]
