from adapters.medusa.adapter import MedusaAdapter

__all__ = ["MedusaAdapter"]
