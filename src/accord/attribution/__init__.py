"""Attribution: marketing's part in pipeline and won revenue, from the journeys of touches
before each deal — rule-based models (`rules`), the Markov-chain removal effect (`markov`) and
the Shapley value (`shapley`). Plain Python and numpy; no Django here."""
