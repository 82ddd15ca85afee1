"""The graph port (`GraphStore`) and its adapters. Storage only: no business rules here."""
