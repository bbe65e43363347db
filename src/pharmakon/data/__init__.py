"""Records with provenance, the one template, and record I/O."""

from pharmakon.data.io import load_records, save_records, to_hf_dataset
from pharmakon.data.records import Record
from pharmakon.data.template import Template

__all__ = ["Record", "Template", "load_records", "save_records", "to_hf_dataset"]
