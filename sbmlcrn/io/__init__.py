"""Input and output: SBML and Antimony writers, the run record, OMEX, COPASI, atomic writes."""
