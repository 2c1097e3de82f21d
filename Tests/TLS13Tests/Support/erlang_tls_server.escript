#!/usr/bin/env escript
%%! -noshell
%% A TLS 1.3 echo server on Erlang/OTP's ssl application (Debian 12: OTP 25), on loopback, for swift-tls13's tests.
%%
%% OTP 25's ssl server fails the handshake when a ClientHello's signature_algorithms holds a GREASE value (RFC 8701),
%% which browsers never send there; the tests check that the client's default ClientHello is accepted, and that
%% sessions resume with OTP's stateless tickets.
%%
%% Usage: erlang_tls_server.escript CERTS_DIR [LEAF]    (LEAF: a stem of Certs/, default leaf-ecdsa-p256)
%% Prints `ACCEPT 127.0.0.1:PORT`, then per connection `HANDSHAKE protocol=… cipher=… resumed=…` (or `ERROR …`)
%% and echoes what it reads until the client closes.
main([CertsDir]) -> main([CertsDir, "leaf-ecdsa-p256"]);
main([CertsDir, Leaf]) ->
    {ok, _} = application:ensure_all_started(ssl),
    Opts = [{versions, ['tlsv1.3']},
            {certfile, filename:join(CertsDir, Leaf ++ ".pem")},
            {cacertfile, filename:join(CertsDir, "intermediate.pem")},
            {keyfile, filename:join(CertsDir, Leaf ++ ".key")},
            {session_tickets, stateless},
            {ip, {127, 0, 0, 1}}, {reuseaddr, true}, {active, false}, binary],
    {ok, Listener} = ssl:listen(0, Opts),
    {ok, {_, Port}} = ssl:sockname(Listener),
    io:format("ACCEPT 127.0.0.1:~b~n", [Port]),
    accept(Listener);
main(_) ->
    io:format(standard_error, "usage: erlang_tls_server.escript CERTS_DIR [LEAF]~n", []),
    halt(2).

accept(Listener) ->
    case ssl:transport_accept(Listener) of
        {ok, Socket} -> spawn(fun() -> serve(Socket) end);
        {error, Reason} -> io:format("ERROR accept ~p~n", [Reason])
    end,
    accept(Listener).

serve(Socket) ->
    case ssl:handshake(Socket, 30000) of
        {ok, Tls} ->
            {ok, Info} = ssl:connection_information(Tls, [protocol, selected_cipher_suite, session_resumption]),
            Cipher = maps:get(cipher, proplists:get_value(selected_cipher_suite, Info)),
            io:format("HANDSHAKE protocol=~p cipher=~p resumed=~p~n",
                      [proplists:get_value(protocol, Info), Cipher, proplists:get_value(session_resumption, Info)]),
            echo(Tls);
        {error, Reason} ->
            io:format("ERROR handshake ~0p~n", [Reason])
    end.

echo(Tls) ->
    case ssl:recv(Tls, 0, 30000) of
        {ok, Data} -> ssl:send(Tls, Data), echo(Tls);
        _ -> ssl:close(Tls)
    end.
