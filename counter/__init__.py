"""The clerk's counter terminal (``turnero counter``) and the LED board over the desk.

``CounterApp(device)`` runs it on its own; a host app (the demo) pushes
``CounterScreen(device, client, board)`` instead: it gets everything in its constructor.
"""
