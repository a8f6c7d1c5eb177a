"""Pipeline stages: the ordered steps an application moves through on one posting."""
