"""BibTeX of the papers more than one recipe follows."""

MEGASCIENCE = """@article{fan2025megascience,
  title   = {MegaScience: Pushing the Frontiers of Post-Training Datasets for Science Reasoning},
  author  = {Fan, Run-Ze and Wang, Zengzhi and Liu, Pengfei},
  journal = {arXiv preprint arXiv:2507.16812},
  year    = {2025}
}"""
